/**
 * Password hashing off the event loop, on a bounded pool of worker threads (piscina). At most
 * `threads + queue` jobs are accepted at once (running or waiting); one more is refused at once
 * with {@link HasherBusy}, and the login is answered "server busy, try again" instead of piling up
 * work. We count jobs ourselves because piscina's own queue limit also counts workers still
 * starting up, which makes the bound depend on timing.
 */
import { Piscina } from 'piscina';
import type { HashTask } from './hash-worker.js';

/** The hash queue is full: try again later. */
export class HasherBusy extends Error {}

export interface Hasher {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

/** A pool of `threads` workers that accepts at most `queue` jobs waiting beyond those running. */
export function createHasher(threads: number, queue: number): Hasher {
  const workers = Math.max(1, threads);
  const pool = new Piscina<HashTask, string | boolean>({
    filename: new URL('./hash-worker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: workers,
    idleTimeout: 30_000,
  });
  const limit = workers + Math.max(0, queue);
  let accepted = 0;
  const run = async <R>(task: HashTask): Promise<R> => {
    if (accepted >= limit) throw new HasherBusy('hash queue full');
    accepted++;
    try {
      return (await pool.run(task)) as R;
    } finally {
      accepted--;
    }
  };
  return {
    hash: (password, cost) => run<string>({ op: 'hash', password, cost }),
    compare: (password, hash) => run<boolean>({ op: 'compare', password, hash }),
    close: () => pool.destroy(),
  };
}
