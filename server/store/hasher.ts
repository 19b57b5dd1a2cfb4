/**
 * Password hashing off the event loop, on a bounded pool of worker threads (piscina). At most
 * `threads + queue` jobs are accepted at once (running or waiting); one more is refused at once
 * with {@link HasherBusy}, and the login is answered "server busy, try again" instead of piling up
 * work. We count jobs ourselves because piscina's own queue limit also counts workers still
 * starting up, which makes the bound depend on timing.
 */
import { Piscina } from 'piscina';
import { HASH_THREAD_NICE } from './hash-nice.js';
import type { HashTask, HashThreadData } from './hash-task.js';

/** The hash queue is full: try again later. */
export class HasherBusy extends Error {}

/** The job's turn came, but whoever asked for it has gone (its connection closed): not run. */
export class HashAbandoned extends Error {}

/** Asked when a job's turn comes: false skips it. */
export type Wanted = () => boolean;

export interface Hasher {
  hash(password: string, cost: number, wanted?: Wanted): Promise<string>;
  compare(password: string, hash: string, wanted?: Wanted): Promise<boolean>;
  /** Jobs the threads have finished (piscina's count): what was actually hashed. */
  readonly completed: number;
  /** Jobs accepted and not finished: running and waiting (the metrics' hash queue depth). */
  readonly depth: number;
  close(): Promise<void>;
}

/**
 * Jobs handed to each thread at once: the one it runs and the next ones, already in its message
 * queue. A thread that finishes a hash starts the next at once, without waiting for the event
 * loop to hear of the first and send another: with one job a thread, the hash thread of a login
 * storm at cost 4 stood idle 27% of the time (profiled) whenever the event loop was busy writing.
 */
export const JOBS_PER_THREAD = 4;

/**
 * A pool of `threads` workers that accepts at most `queue` jobs waiting beyond those running.
 * Jobs wait in our own queue, and piscina gets one only when a thread has room for it (see
 * JOBS_PER_THREAD): a login whose connection closed while it waited (a storm of logins that hang
 * up) is then skipped, not hashed. Cancelling a job piscina had already started would kill its
 * thread.
 */
export function createHasher(threads: number, queue: number): Hasher {
  const workers = Math.max(1, threads);
  const pool = new Piscina<HashTask, string | boolean>({
    filename: new URL('./hash-worker.cjs', import.meta.url).href,
    workerData: { nice: HASH_THREAD_NICE } satisfies HashThreadData,
    minThreads: 1,
    maxThreads: workers,
    concurrentTasksPerWorker: JOBS_PER_THREAD,
    idleTimeout: 30_000,
  });
  const slots = workers * JOBS_PER_THREAD;
  const limit = workers + Math.max(0, queue);
  /** Jobs handed to a thread (at most `slots`); with those waiting, every job accepted and not finished. */
  let running = 0;
  const waiting: Array<() => void> = [];
  const acquire = (): Promise<void> => {
    if (running < slots) {
      running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  // A freed thread passes straight to the next job in line, so none can jump the queue.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  const run = async <R>(task: HashTask, wanted: Wanted = () => true): Promise<R> => {
    if (running + waiting.length >= limit) throw new HasherBusy('hash queue full');
    await acquire();
    try {
      if (!wanted()) throw new HashAbandoned('nobody is waiting for this hash');
      return (await pool.run(task)) as R;
    } finally {
      release();
    }
  };
  return {
    hash: (password, cost, wanted) => run<string>({ op: 'hash', password, cost }, wanted),
    compare: (password, hash, wanted) => run<boolean>({ op: 'compare', password, hash }, wanted),
    get completed() {
      return pool.completed;
    },
    get depth() {
      return running + waiting.length;
    },
    close: () => pool.destroy(),
  };
}
