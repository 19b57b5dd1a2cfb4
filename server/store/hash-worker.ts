/**
 * Runs in a worker thread (see hasher.ts): bcrypt is CPU-bound for ~50-100 ms at cost 10, and on
 * the event loop it would stall every chat message while someone logs in.
 */
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import bcrypt from 'bcryptjs';

export type HashTask = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

/**
 * Hashing runs at the lowest CPU priority, so whenever the event loop and a hash want the same
 * core, the chat wins and a login waits a little longer. On Linux, setpriority() given a thread
 * id changes that thread alone; /proc/thread-self names ours. Elsewhere this quietly does nothing.
 */
function lowerOwnPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, constants.priority.PRIORITY_LOW);
  } catch {
    // Not Linux, or not allowed: hashing still runs, at normal priority.
  }
}
lowerOwnPriority();

export default function run(task: HashTask): string | boolean {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
}
