/**
 * Accounts on a cluster, in one Redis hash (folded name → account). A name is claimed with
 * HSETNX, so two registrations of one name on two servers at once create it once: the second is
 * told NAME_IN_USE. Each server keeps a copy of every account in memory (a login looks one up
 * without a round trip), read at start and kept current by the log's `account` events.
 */
import { foldName } from '../../common/names.js';
import { NameTaken, type Account, type AccountStore } from '../store/accounts.js';
import { KEYS, type Redis } from './redis.js';

export class SharedAccounts implements AccountStore {
  private readonly accounts = new Map<string, Account>();
  private readonly writing = new Map<string, Promise<Account>>();

  private constructor(
    private readonly redis: Redis,
    /** Tells the other servers of a new account. */
    private readonly announce: (account: Account) => void,
  ) {}

  static async open(redis: Redis, announce: (account: Account) => void): Promise<SharedAccounts> {
    const store = new SharedAccounts(redis, announce);
    for await (const entries of redis.hScanIterator(KEYS.accounts, { COUNT: 1000 })) {
      for (const { field, value } of entries) {
        const account = parse(value);
        if (account) store.accounts.set(field, account);
      }
    }
    return store;
  }

  get size(): number {
    return this.accounts.size;
  }

  *names(): Iterable<string> {
    for (const a of this.accounts.values()) yield a.name;
  }

  find(name: string): Account | undefined {
    return this.accounts.get(foldName(name));
  }

  inFlight(name: string): Promise<Account> | undefined {
    return this.writing.get(foldName(name));
  }

  create(name: string, hash: string, now: Date): Promise<Account> {
    const key = foldName(name);
    const account: Account = { name, hash, created: now.toISOString() };
    const done = (async () => {
      const claimed = await this.redis.hSetNX(KEYS.accounts, key, JSON.stringify(account));
      if (!claimed) {
        const theirs = parse((await this.redis.hGet(KEYS.accounts, key)) ?? '');
        if (theirs) this.accounts.set(key, theirs);
        throw new NameTaken(name);
      }
      this.accounts.set(key, account);
      this.announce(account);
      return account;
    })().finally(() => this.writing.delete(key));
    this.writing.set(key, done);
    return done;
  }

  /** Another server created `account`. */
  learn(account: Account): void {
    this.accounts.set(foldName(account.name), account);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.writing.values());
  }
}

/**
 * Copies `accounts` (a users file's) into Redis, never over an account already there. Returns how
 * many were added and how many were there already.
 */
export async function importAccounts(redis: Redis, accounts: Iterable<Account>): Promise<{ added: Account[]; skipped: number }> {
  const added: Account[] = [];
  let skipped = 0;
  for (const a of accounts) {
    if (await redis.hSetNX(KEYS.accounts, foldName(a.name), JSON.stringify({ name: a.name, hash: a.hash, created: a.created }))) added.push(a);
    else skipped++;
  }
  return { added, skipped };
}

function parse(text: string): Account | null {
  try {
    const v = JSON.parse(text) as Partial<Account>;
    return typeof v.name === 'string' && typeof v.hash === 'string' && typeof v.created === 'string' ? { name: v.name, hash: v.hash, created: v.created } : null;
  } catch {
    return null;
  }
}
