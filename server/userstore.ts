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
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Low, type Adapter } from 'lowdb';
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
    private readonly lockPath: string,
  ) {
    for (const a of db.data.users) this.accounts.set(foldName(a.name), a);
  }

  /** Opens (or creates) the users file and takes its lock. */
  static async open(path: string): Promise<UserStore> {
    const lockPath = `${path}.lock`;
    takeLock(path, lockPath);
    try {
      const db = new Low<Data>(new DurableFile<Data>(path), { users: [] });
      await readChecked(db, path);
      return new UserStore(db, lockPath);
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

/**
 * A lowdb adapter whose writes are durable when they resolve: temporary file, fsync, rename,
 * fsync of the folder (so the rename itself survives a power cut). Writes never overlap; those
 * that arrive while one runs are coalesced into the next, which carries the latest data, and
 * each resolves as soon as a write that includes its data is on disk.
 */
export class DurableFile<T> implements Adapter<T> {
  private running: Promise<void> | null = null;
  private queued: { text: string; done: Promise<void> } | null = null;
  private readonly temp: string;

  constructor(private readonly path: string) {
    this.temp = join(dirname(path), `.${basename(path)}.tmp`);
  }

  /** Not used: the store reads and checks the file itself (see readChecked). */
  async read(): Promise<T | null> {
    return null;
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify(data, null, 2);
    if (this.queued) {
      this.queued.text = text;
      return this.queued.done;
    }
    if (!this.running) return this.start(text);
    const after = this.running.catch(() => undefined);
    const queued: { text: string; done: Promise<void> } = {
      text,
      done: after.then((): Promise<void> => {
        this.queued = null;
        return this.start(queued.text);
      }),
    };
    this.queued = queued;
    return queued.done;
  }

  private start(text: string): Promise<void> {
    const run = writeDurably(this.path, this.temp, text).finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}

async function writeDurably(path: string, temp: string, text: string): Promise<void> {
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  syncFolder(dirname(path));
}

function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the lock file exclusively. A lock left by a dead process (kill -9) is taken over: the
 * file holds the owner's pid, and signal 0 tells whether it still runs.
 */
function takeLock(path: string, lockPath: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(lockPath)) return;
    const pid = lockOwner(lockPath);
    if (pid > 0 && isAlive(pid)) {
      throw new StoreError(`users file ${path} is in use by another server (pid ${pid}; lock file ${lockPath})`);
    }
    breakStaleLock(lockPath, pid);
  }
  throw new StoreError(`cannot take lock ${lockPath}`);
}

/**
 * Creates the lock with our pid in it in one step: the pid goes into a file of our own, which is
 * then hard-linked into place (a link fails if the lock exists). So nobody ever reads a lock
 * still empty, which would look like one garbled by a crash and be taken over. False: the lock
 * exists.
 */
function createLock(lockPath: string): boolean {
  const mine = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(mine, String(process.pid), { flag: 'wx', mode: 0o600 });
    try {
      linkSync(mine, lockPath);
    } catch (e) {
      // A file system without hard links: create the lock directly (exclusive, briefly empty).
      if (!NO_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
      writeFileSync(lockPath, String(process.pid), { flag: 'wx', mode: 0o600 });
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StoreError(`cannot create lock file ${lockPath}: ${(e as Error).message}`);
  } finally {
    releaseLock(mine);
  }
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Removes a lock whose owner `stalePid` is dead (0: the lock was empty or garbled). Two servers
 * may do this at once: the lock is first renamed aside, which only one of them can do, then
 * checked. If what we moved is not the lock we judged stale (another server broke that one and
 * took the lock between our look and our rename), it is put back, never over a newer one.
 */
export function breakStaleLock(lockPath: string, stalePid: number): void {
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // gone already: someone else broke it; try to create ours again
  }
  if (lockOwner(aside) !== stalePid) {
    try {
      linkSync(aside, lockPath);
    } catch (e) {
      if (NO_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) {
        // No hard links here: move it back (over a newer lock, if one came in between: rarer still).
        try {
          renameSync(aside, lockPath);
          return;
        } catch {
          // Gone: nothing left to put back.
        }
      }
      // Otherwise a newer lock is in place: that server won; ours will find it when it tries again.
    }
  }
  releaseLock(aside);
}

/** The pid in a lock file, or 0 when it is gone, empty or garbled (left by a crash mid-write). */
function lockOwner(lockPath: string): number {
  try {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  }
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
