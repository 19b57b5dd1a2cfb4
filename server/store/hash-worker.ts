/**
 * Runs in a worker thread (see hasher.ts): bcrypt is CPU-bound for ~50-100 ms at cost 10, and on
 * the event loop it would stall every chat message while someone logs in.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { HASH_THREAD_NICE } from './hash-nice.js';

export type HashTask = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

/**
 * On Linux, setpriority() given a thread id changes that thread alone; /proc/thread-self names
 * ours. Elsewhere this quietly does nothing. Never the main thread, should anything load this
 * module there: only the thread that runs the jobs is lowered.
 */
function lowerOwnPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, HASH_THREAD_NICE);
  } catch {
    // Not Linux, or not allowed: hashing still runs, at normal priority.
  }
}
if (!isMainThread) lowerOwnPriority();

export default function run(task: HashTask): string | boolean {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
}
