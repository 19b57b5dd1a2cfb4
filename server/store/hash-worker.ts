/**
 * Runs in a worker thread (see hasher.ts): bcrypt is CPU-bound for ~50-100 ms at cost 10, and on
 * the event loop it would stall every chat message while someone logs in.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

export type HashTask = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

/**
 * The nice value of a hash thread: the lowest priority, so whenever the event loop and a hash
 * want the same core, the chat wins and a login waits a little longer. At 19 a hash thread gets
 * 1.5% of a core it shares with a nice-0 thread, and on a busy two-core machine it waited for a
 * CPU 17-21% of a login burst while it had work. Nice 10 was measured against it (2026-12-02,
 * five interleaved rounds of the bench's connect scenario, three storms): logins 0.79x the raw
 * compare rate against 0.75x, registrations 0.74x against 0.69x, but chat p99 in the storm 39.7,
 * 46.3 and 55.6 ms against 35.1, 39.2 and 42.2 ms (target < 50). The chat comes first, so 19.
 */
export const HASH_THREAD_NICE = 19;

/**
 * On Linux, setpriority() given a thread id changes that thread alone; /proc/thread-self names
 * ours. Elsewhere this quietly does nothing. Never the main thread (the bench imports the
 * constant above).
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
