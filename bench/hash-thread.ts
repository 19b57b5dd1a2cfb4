/**
 * One thread of the raw hash-rate measurement (see hash-rate.ts): bcryptjs, exactly as the
 * server's hash threads call it, in a loop for the time given, then the count.
 */
import { parentPort, workerData } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import type { HashJob } from './hash-rate.js';

const { op, cost, password, ms } = workerData as HashJob;
const hash = bcrypt.hashSync(password, cost);
// Every thread starts at the parent's word, once all are ready.
parentPort!.postMessage('ready');
parentPort!.once('message', () => {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (op === 'compare') bcrypt.compareSync(password, hash);
    else bcrypt.hashSync(password, cost);
    n++;
  }
  parentPort!.postMessage(n);
});
