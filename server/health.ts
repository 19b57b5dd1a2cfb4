/**
 * Whether the server can do its work, for /readyz (a load balancer or an orchestrator stops
 * sending users to a server that is not ready, without killing it): it is listening, and the
 * account store can be written. Each check is an entry in a list, so another dependency adds its
 * own: a cluster mode adds "Redis reachable" here (see `readiness`).
 */
import { open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileProblem } from '../common/file-errors.js';

export interface ReadinessCheck {
  /** What is checked, as the answer names it. */
  readonly name: string;
  /** Null when all is well; otherwise why not, in a few words. */
  check(): Promise<string | null>;
}

/** How long one check may take before it counts as failed (a hung disk must not hang the probe). */
export const CHECK_MS = 2000;

export interface Readiness {
  ready: boolean;
  /** "users file: cannot write in /srv/chat: permission denied", one per failed check. */
  problems: string[];
}

/** Runs every check at once; ready when none has a problem. */
export async function readiness(checks: readonly ReadinessCheck[]): Promise<Readiness> {
  const problems = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${CHECK_MS / 1000} s`), CHECK_MS);
      });
      try {
        const problem = await Promise.race([c.check().catch((e: Error) => e.message), late]);
        return problem === null ? null : `${c.name}: ${problem}`;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const found = problems.filter((p): p is string => p !== null);
  return { ready: found.length === 0, problems: found };
}

/** The server has started and is not stopping. */
export function listening(serving: () => boolean): ReadinessCheck {
  return { name: 'listening', check: async () => (serving() ? null : 'not accepting connections (starting or stopping)') };
}

/**
 * The users file can be written: the store writes a new file beside it and renames it into place,
 * so what matters is writing in its folder. Tested by writing, not by looking at permission bits,
 * which say nothing for root or a read-only mount.
 */
export function fileWritable(name: string, path: string): ReadinessCheck {
  const probe = join(dirname(path), `.${basename(path)}.ready`);
  return {
    name,
    async check() {
      try {
        const file = await open(probe, 'w', 0o600);
        try {
          await file.writeFile('ready\n');
        } finally {
          await file.close();
        }
        await unlink(probe);
        return null;
      } catch (e) {
        return `cannot write in ${dirname(path)}: ${fileProblem(e)}`;
      }
    },
  };
}
