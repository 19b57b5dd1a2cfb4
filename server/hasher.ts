/**
 * Password hashing off the event loop, on a bounded pool of worker threads (piscina). When more
 * jobs wait than the queue holds, the job is refused at once with `busy`, and the login is
 * answered "server busy, try again" instead of piling up work.
 */
import { Piscina } from 'piscina';
import type { HashTask } from './hash-worker.js';

export class HasherBusy extends Error {}

export interface Hasher {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

export function createHasher(threads: number, queue: number): Hasher {
  const pool = new Piscina<HashTask, string | boolean>({
    filename: new URL('./hash-worker.js', import.meta.url).href,
    minThreads: 1,
    maxThreads: Math.max(1, threads),
    maxQueue: queue,
    idleTimeout: 30_000,
  });
  const run = async <R>(task: HashTask): Promise<R> => {
    if (pool.queueSize >= queue) throw new HasherBusy('hash queue full');
    return (await pool.run(task)) as R;
  };
  return {
    hash: (password, cost) => run<string>({ op: 'hash', password, cost }),
    compare: (password, hash) => run<boolean>({ op: 'compare', password, hash }),
    close: () => pool.destroy(),
  };
}
