/**
 * The run's accounts, written straight into a users file before the server starts, so logging in
 * a thousand users does not first register a thousand (each a bcrypt hash and an fsync). Every
 * account of one cost shares one hash: bcrypt salts are per hash, and the server only ever
 * compares. The run's accounts use the run's cost (4 unless --cost); the storm's use the server's
 * default cost 10, because the cost of those logins is what the storm measures. `--accounts N`
 * adds N accounts that never log in (x0, x1, ...): a large users file, as a busy server has.
 */
import { writeFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import type { ClientSpec } from './ipc.js';
import { STORM_COST } from './scenarios.js';

export const PASSWORD = 'bench-password';

export interface UsersFile {
  /** Cost of the run's own accounts. */
  cost: number;
  /** Accounts beyond the run's, which nobody logs in to. */
  extra: number;
  /** Clients left out of the file, to register. */
  skip?: (c: ClientSpec) => boolean;
}

/** Writes `{ users: [...] }` for the given clients (and the extra accounts), one account a line. */
export function writeUsersFile(path: string, clients: readonly ClientSpec[], { cost, extra, skip = () => false }: UsersFile): void {
  const hashes = new Map<number, string>();
  const hashFor = (c: number) => hashes.get(c) ?? hashes.set(c, bcrypt.hashSync(PASSWORD, c)).get(c)!;
  const created = new Date().toISOString();
  const names = clients.filter((c) => !skip(c)).map((c) => ({ name: c.name, cost: c.role === 'storm' ? STORM_COST : cost }));
  for (let i = 0; i < extra; i++) names.push({ name: `x${i}`, cost });
  const rows = names.map(({ name, cost: c }) => JSON.stringify({ name, hash: hashFor(c), created }));
  writeFileSync(path, `{"users":[\n${rows.join(',\n')}\n]}\n`);
}
