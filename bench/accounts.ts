/**
 * The run's accounts, written straight into a users file before the server starts, so logging in
 * a thousand users does not first register a thousand (each a bcrypt hash and an fsync). Every
 * account shares one hash: bcrypt salts are per hash, and the server only ever compares.
 * The chat accounts use cost 4, for the run only; the storm's use the server's default cost 10,
 * because the cost of those logins is what the storm measures.
 */
import { writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import type { ClientSpec } from './ipc.js';

export const PASSWORD = 'bench-password';
const CHAT_COST = 4;
const STORM_COST = 10;

/** Writes `{ users: [...] }` for the given clients; those in `skip` are left to register. */
export function writeUsersFile(path: string, clients: readonly ClientSpec[], skip: (c: ClientSpec) => boolean = () => false): void {
  const hashes = new Map<number, string>();
  const hashFor = (cost: number) => hashes.get(cost) ?? hashes.set(cost, bcrypt.hashSync(PASSWORD, cost)).get(cost)!;
  const created = new Date().toISOString();
  const users = clients
    .filter((c) => !skip(c))
    .map((c) => ({ name: c.name, hash: hashFor(c.role === 'storm' ? STORM_COST : CHAT_COST), created }));
  writeFileSync(path, JSON.stringify({ users }));
}
