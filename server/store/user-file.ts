/**
 * Accounts, kept in a JSON file through lowdb.
 *
 * - In memory the accounts live in a Map keyed by the case-folded name, so names such as
 *   `__proto__` or `constructor` are ordinary keys with no effect on any object.
 * - Writes go through {@link DurableFile}, a lowdb adapter that writes a temporary file, fsyncs
 *   it, renames it into place and fsyncs the folder; an account is acknowledged only after that,
 *   so it survives kill -9 and a power cut. (lowdb's own JSONFile renames without an fsync, and
 *   under a steady stream of writes resolves the first one only when the stream stops.)
 * - A lock file beside the users file keeps a second server off the same file.
 * - A users file that exists but is empty, truncated or not our JSON stops the start with the
 *   file named; it is never overwritten.
 */
import { readFileSync } from 'node:fs';
import { Low } from 'lowdb';
import { foldName } from '../../common/names.js';
import type { Account, AccountStore } from './accounts.js';
import { DurableFile } from './durable-file.js';
import { releaseLock, takeLock } from './lock.js';

interface Data {
  users: Account[];
}

export class StoreError extends Error {}

export class UserFile implements AccountStore {
  private readonly accounts = new Map<string, Account>();
  /** Registrations being written, so a second one of the same name waits for the first. */
  private readonly writing = new Map<string, Promise<Account>>();

  private constructor(
    private readonly db: Low<Data>,
    private readonly lockPath: string,
  ) {
    for (const a of db.data.users) this.accounts.set(foldName(a.name), a);
  }

  /** Opens (or creates) the users file and takes its lock. */
  static async open(path: string): Promise<UserFile> {
    const lockPath = `${path}.lock`;
    takeLock(`users file ${path}`, lockPath);
    try {
      const db = new Low<Data>(new DurableFile<Data>(path), { users: [] });
      await readChecked(db, path);
      return new UserFile(db, lockPath);
    } catch (e) {
      releaseLock(lockPath);
      throw e;
    }
  }

  get size(): number {
    return this.accounts.size;
  }

  find(name: string): Account | undefined {
    return this.accounts.get(foldName(name));
  }

  /** A registration of `name` still being written, if any. */
  inFlight(name: string): Promise<Account> | undefined {
    return this.writing.get(foldName(name));
  }

  /**
   * Adds an account and resolves once it is on disk. The caller must have checked that the name
   * is free and not in flight; the name is reserved synchronously so a concurrent registration
   * sees it.
   */
  create(name: string, hash: string, now: Date): Promise<Account> {
    const key = foldName(name);
    if (this.accounts.has(key) || this.writing.has(key)) throw new StoreError(`${name} exists`);
    const account: Account = { name, hash, created: now.toISOString() };
    const done = (async () => {
      this.db.data.users.push(account);
      try {
        await this.db.write();
      } catch (e) {
        this.db.data.users = this.db.data.users.filter((a) => a !== account);
        throw e;
      }
      this.accounts.set(key, account);
      return account;
    })().finally(() => this.writing.delete(key));
    this.writing.set(key, done);
    return done;
  }

  /** Waits for writes in flight and releases the lock. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
    releaseLock(this.lockPath);
  }
}

async function readChecked(db: Low<Data>, path: string): Promise<void> {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return db.write();
    throw new StoreError(`cannot read users file ${path}: ${(e as Error).message}`);
  }
  if (raw.trim() === '') throw new StoreError(`users file ${path} is empty; restore it or delete it to start afresh`);
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new StoreError(`users file ${path} is not valid JSON (truncated?); restore it from a backup`);
  }
  const users = (data as Data | null)?.users;
  const valid =
    Array.isArray(users) &&
    users.every((u) => typeof u?.name === 'string' && typeof u?.hash === 'string');
  if (!valid) throw new StoreError(`users file ${path} does not hold a "users" list of accounts`);
  db.data = data as Data;
}
