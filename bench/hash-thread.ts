/**
 * One thread of the raw hash-rate measurement (see hash-rate.ts): the server's own hash job
 * (server/store/hash-worker.cts, which also takes this thread to the nice value in its orders,
 * the server's hash threads' own), in a loop for the time given, then the count.
 */
import { parentPort, workerData } from 'node:worker_threads';
import run from '../server/store/hash-worker.cjs';
import type { HashJob } from './hash-rate.js';

const { op, cost, password, ms } = workerData as HashJob;
const hash = run({ op: 'hash', password, cost }) as string;
// Every thread starts at the parent's word, once all are ready.
parentPort!.postMessage('ready');
parentPort!.once('message', () => {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    run(op === 'compare' ? { op, password, hash } : { op, password, cost });
    n++;
  }
  parentPort!.postMessage(n);
});
