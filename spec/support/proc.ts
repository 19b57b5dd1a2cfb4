/**
 * A program run as a user runs it (`node dist/server/main.js ...`), its stdout and stderr
 * collected line by line, for specs that need a real process: its exit code, its one-line errors,
 * a SIGKILL.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';

/** A server process; stdout and stderr are collected line by line. */
export class Proc {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    const collect = (into: string[]) => {
      let rest = '';
      return (b: Buffer) => {
        const parts = (rest + b.toString()).split('\n');
        rest = parts.pop()!;
        into.push(...parts);
        this.waiters.splice(0).forEach((w) => w());
      };
    };
    child.stdout.on('data', collect(this.out));
    child.stderr.on('data', collect(this.err));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Waits for a stdout line that matches. */
  async line(re: RegExp, ms = 8000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (const l of this.out) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (this.child.exitCode !== null) throw new Error(`exited ${this.child.exitCode}; stderr: ${this.err.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${re}; stdout: ${this.out.join('\n')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
        this.child.once('exit', () => (clearTimeout(t), r()));
      });
    }
  }

  /** Exit code, after waiting at most `ms`. */
  async exitCode(ms = 8000): Promise<number | null> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error('did not exit')), ms)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(t);
    }
  }
}

/** Kills (SIGKILL) and waits for every process in `procs` still running, and empties the list. */
export async function killAll(procs: Proc[]): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
}
