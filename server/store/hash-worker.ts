/**
 * Runs in a worker thread (see hasher.ts): bcrypt is CPU-bound for ~50-100 ms at cost 10, and on
 * the event loop it would stall every chat message while someone logs in.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export type HashTask = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

/**
 * What the thread that runs the jobs is told when it starts (its workerData): the nice value to
 * take (see hash-nice.ts). The value comes from whoever starts the thread rather than an import,
 * so this module loads nothing of ours: piscina loads it with require(), and on Node 20 a
 * require() of an ES module that imports another one aborted the whole process once (a native
 * assertion in CreateRequiredModuleFacade, in CI, while servers were started and stopped).
 */
export interface HashThreadData {
  nice: number;
}

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

export default function run(task: HashTask): string | boolean {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
}
