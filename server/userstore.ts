/**
 * Accounts, kept in a JSON file through lowdb.
 *
 * - In memory the accounts live in a Map keyed by the case-folded name, so names such as
 *   `__proto__` or `constructor` are ordinary keys with no effect on any object.
 * - lowdb's JSONFile writes a temporary file and renames it into place; we add an fsync of the
 *   file and its folder after each write, and acknowledge an account only after that.
 * - We use `new Low(new JSONFile(...))`, not JSONFilePreset, because the preset keeps data in
 *   memory when NODE_ENV is "test" and durability must be real in tests too.
 * - A lock file beside the users file keeps a second server off the same file.
 * - A users file that exists but is empty, truncated or not our JSON stops the start with the
 *   file named; it is never overwritten.
 */
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { foldName } from '../common/names.js';

export interface Account {
  name: string;
  /** bcrypt hash; the password itself is never stored. */
  hash: string;
  created: string;
}

interface Data {
  users: Account[];
}

export class StoreError extends Error {}

export class UserStore {
  private readonly accounts = new Map<string, Account>();
  /** Registrations being written, so a second one of the same name waits for the first. */
  private readonly writing = new Map<string, Promise<Account>>();

  private constructor(
    private readonly db: Low<Data>,
    private readonly path: string,
    private readonly lockPath: string,
  ) {
    for (const a of db.data.users) this.accounts.set(foldName(a.name), a);
  }

  /** Opens (or creates) the users file and takes its lock. */
  static async open(path: string): Promise<UserStore> {
    const lockPath = `${path}.lock`;
    takeLock(lockPath);
    try {
      const db = new Low<Data>(new JSONFile<Data>(path), { users: [] });
      await readChecked(db, path);
      return new UserStore(db, path, lockPath);
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
        syncToDisk(this.path);
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
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      await db.write();
      syncToDisk(path);
      return;
    }
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

/** fsync the file and its folder, so a rename survives a power cut, not only a crash. */
function syncToDisk(path: string): void {
  for (const p of [path, dirname(path)]) {
    const fd = openSync(p, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Creates the lock file exclusively. A lock left by a dead process (kill -9) is taken over: the
 * file holds the owner's pid, and signal 0 tells whether it still runs.
 */
function takeLock(lockPath: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError(`cannot create lock file ${lockPath}: ${(e as Error).message}`);
      }
      const pid = Number(readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new StoreError(`users file is in use by another server (pid ${pid}, lock ${lockPath})`);
      }
      unlinkSync(lockPath);
    }
  }
  throw new StoreError(`cannot take lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseLock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // Already gone: nothing to release.
  }
}
