/**
 * Runs in a worker thread (see hasher.ts): bcrypt is CPU-bound for ~50-100 ms at cost 10, and on
 * the event loop it would stall every chat message while someone logs in.
 */
import bcrypt from 'bcryptjs';

export type HashTask = { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

export default function run(task: HashTask): string | boolean {
  return task.op === 'hash' ? bcrypt.hashSync(task.password, task.cost) : bcrypt.compareSync(task.password, task.hash);
}
