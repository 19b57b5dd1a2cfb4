/**
 * A folder and the folders above it that are missing, as `mkdir -p` makes them.
 *
 * Not Node's mkdirSync(…, { recursive: true }): on Node 20 that never returns for a path under
 * /proc (mkdir there fails with ENOENT, and Node takes it as a missing parent to make, again and
 * again), so a `--downloads` or `--data-dir` under /proc spun a core and ignored SIGTERM. Here each
 * missing folder is made once, from the nearest one that exists, and the first failure is thrown.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

export function makeDirs(path: string, mode?: number): void {
  const missing: string[] = [];
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      statSync(at);
      break; // exists (a file there fails below, or when it is used, with ENOTDIR)
    } catch (e) {
      if (codeOf(e) !== 'ENOENT') throw e;
      missing.push(at);
      if (dirname(at) === at) break;
    }
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, mode);
    } catch (e) {
      // Made meanwhile by someone else: as good.
      if (codeOf(e) !== 'EEXIST') throw e;
    }
  }
}
