/**
 * Runs in a worker thread (see hasher.ts): bcrypt is CPU-bound for ~50-100 ms at cost 10, and on
 * the event loop it would stall every chat message while someone logs in.
 *
 * CommonJS (a .cts file, built to .cjs), because piscina loads a thread's job with require()
 * first. Of an ES module, on Node 20, that is require(esm), which twice aborted the whole
 * process with a native assertion (CreateRequiredModuleFacade, in CI and in a cluster spec, while
 * servers were started and stopped): an ES job importing bcryptjs, itself an ES module there.
 * A CommonJS job is require()d as Node always has, and gets bcryptjs's CommonJS build.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import type { HashTask, HashThreadData } from './hash-task.js';

/**
 * On Linux, setpriority() given a thread id changes that thread alone; /proc/thread-self names
 * ours. Elsewhere this quietly does nothing. Only a thread told its nice value is lowered: loaded
 * anywhere else (the main thread, another worker), this module leaves the thread alone.
 */
function lowerOwnPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: hashing still runs, at normal priority.
  }
}
const told = (workerData as Partial<HashThreadData> | null)?.nice;
if (typeof told === 'number') lowerOwnPriority(told);

function run(task: HashTask): string | boolean {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
}

// The module is the job: piscina, and the bench's raw hash rate (bench/hash-thread.ts), call it.
export = run;
