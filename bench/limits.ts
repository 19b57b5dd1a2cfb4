/**
 * Open-file limits. Every client is a socket in a worker and another in the server, so 10,000
 * clients need ~10,000 descriptors in the server and ~10,000/W in each worker, and the OS may
 * refuse them. The bench raises nothing: it checks first and says what to raise, since a run that
 * fails half-way with EMFILE measures nothing.
 */
import { readFileSync } from 'node:fs';
import { BenchError } from './errors.js';

/** Headroom per process: stdio, IPC, the users file, the log, UDP, worker threads. */
const SPARE = 64;

/** This process's soft limit on open files (children inherit it), or Infinity if unknown. */
function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}

/** Throws with what to do when `sockets` connections spread over `workers` would not fit. */
export function checkOpenFiles(sockets: number, workers: number, serverIsOurs: boolean): void {
  const limit = openFileLimit();
  const perWorker = Math.ceil(sockets / workers) + SPARE;
  const perServer = sockets + SPARE;
  const need = serverIsOurs ? Math.max(perWorker, perServer) : perWorker;
  if (need <= limit) return;
  throw new BenchError(
    `${sockets} clients need about ${need} open files per process (server ${perServer}, each of ${workers} workers ${perWorker}; ` +
      `${perServer + workers * perWorker} in all) but ulimit -n is ${limit}: raise it in this shell (ulimit -n ${need}) and run again`,
  );
}
