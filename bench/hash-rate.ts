/**
 * The raw hash rate: what the server's hash threads could do if hashing were all they did.
 * `threads` worker threads (the server's --hash-threads) run the server's hash job (bcryptjs at
 * the run's cost, at the same nice value as the server's threads, so that both get the same
 * share of a machine shared with other work), with nothing else from the bench running, for a
 * fixed time. Logins of existing accounts cost
 * one compare each and registrations one hash each, so these rates are what the bench's login and
 * registration rates are measured against, and the CPU of one hash is what the server's CPU per
 * login is measured against.
 */
import { Worker } from 'node:worker_threads';
import { HASH_THREAD_NICE } from '../server/store/hash-nice.js';
import type { HashThreadData } from '../server/store/hash-task.js';
import { PASSWORD } from './accounts.js';

/** A measuring thread's orders; its nice value is the server's hash threads' (hash-worker.cts takes it). */
export interface HashJob extends HashThreadData {
  op: 'compare' | 'hash';
  cost: number;
  password: string;
  ms: number;
}

export interface HashRate {
  threads: number;
  cost: number;
  /** bcrypt compares per second over all threads (a login). */
  comparesPerS: number;
  /** bcrypt hashes per second over all threads (a registration: a new salt and a hash). */
  hashesPerS: number;
  /** CPU milliseconds of one compare (this process's CPU over the compares it made). */
  cpuMsPerCompare: number;
  cpuMsPerHash: number;
}

/** Runs `op` on `threads` threads for `ms`; how many per second in all, and CPU ms each. */
async function measure(op: HashJob['op'], threads: number, cost: number, ms: number): Promise<{ perS: number; cpuMs: number }> {
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./hash-thread.js', import.meta.url), { workerData: { op, cost, password: PASSWORD, ms, nice: HASH_THREAD_NICE } satisfies HashJob }));
  try {
    const next = (w: Worker) => new Promise<unknown>((resolve, reject) => w.once('message', resolve).once('error', reject));
    await Promise.all(workers.map(next)); // each has made its hash to compare against
    const cpu = process.cpuUsage();
    const t = performance.now();
    const counts = await Promise.all(
      workers.map((w) => {
        const done = next(w);
        w.postMessage('go');
        return done as Promise<number>;
      }),
    );
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    const n = counts.reduce((a, b) => a + b, 0);
    return { perS: n / seconds, cpuMs: (used.user + used.system) / 1000 / n };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Compares, then hashes, each for `seconds`. */
export async function hashRate(threads: number, cost: number, seconds: number): Promise<HashRate> {
  const compare = await measure('compare', threads, cost, seconds * 1000);
  const hash = await measure('hash', threads, cost, seconds * 1000);
  return { threads, cost, comparesPerS: compare.perS, hashesPerS: hash.perS, cpuMsPerCompare: compare.cpuMs, cpuMsPerHash: hash.cpuMs };
}

/** Two measurements as one: their mean (the rates before and after a run, say). */
export function meanRate(a: HashRate, b: HashRate): HashRate {
  const mid = (x: number, y: number) => (x + y) / 2;
  return {
    threads: a.threads,
    cost: a.cost,
    comparesPerS: mid(a.comparesPerS, b.comparesPerS),
    hashesPerS: mid(a.hashesPerS, b.hashesPerS),
    cpuMsPerCompare: mid(a.cpuMsPerCompare, b.cpuMsPerCompare),
    cpuMsPerHash: mid(a.cpuMsPerHash, b.cpuMsPerHash),
  };
}
