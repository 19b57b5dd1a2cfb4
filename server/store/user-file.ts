/**
 * Accounts, kept in a JSON file through lowdb (users.json), with a journal beside it.
 *
 * - A registration is appended to the journal (users.json.journal, one JSON line an account) and
 *   acknowledged once that line is fsynced. Registrations that arrive together share one write
 *   and one fsync (group commit), and none costs more than its own line: rewriting the whole
 *   file per registration cost 130–370 ms of the event loop at 100,000 accounts (measured).
 * - Now and then (once the journal holds a quarter as many accounts as users.json, at least
 *   JOURNAL_MIN; and at start when a journal is left over) the accounts are written back into
 *   users.json by lowdb through DurableFile: temporary file, fsync, rename, fsync of the folder,
 *   serialized in pieces across event-loop turns. The journal is first moved aside
 *   (users.json.journal.old) and deleted once the new users.json is in place, so at every moment
 *   users.json and the journals together hold every acknowledged account.
 * - In memory the accounts live in a Map keyed by the case-folded name, so names such as
 *   `__proto__` or `constructor` are ordinary keys with no effect on any object.
 * - A lock file beside the users file keeps a second server off it.
 * - A users file that exists but is empty, truncated or not our JSON stops the start with the file
 *   named; it is never overwritten. A journal's torn last line (a crash mid-write, before any
 *   acknowledgement) is skipped.
 * - readUsersFile reads the accounts as a start does, through the same code, and writes nothing:
 *   --import-users copies them into a cluster's Redis. changeUsersFile reads them the same way and
 *   writes them back changed, for --rename-user.
 */
import { existsSync, readFileSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { Low } from 'lowdb';
import { systemClock, type Clock } from '../../common/clock.js';
import { fileProblem } from '../../common/file-errors.js';
import { foldName } from '../../common/names.js';
import type { Account, AccountStore } from './accounts.js';
import { AppendLog } from './append-log.js';
import { DurableFile } from './durable-file.js';
import { releaseLock, takeLock } from './lock.js';

interface Data {
  users: Account[];
}

/**
 * When the journal is written back into users.json: once it holds JOURNAL_SHARE as many
 * registrations as there are accounts, and at least JOURNAL_MIN. A write-back serializes every
 * account, so a fixed step made each registration pay O(accounts / step) on the event loop: with
 * a step of 1,000 at 105,000 accounts, the write-backs were 12% of a registration's event-loop
 * time (profiled). A step in proportion keeps it at most 1 / JOURNAL_SHARE accounts serialized
 * per registration at any size, as Redis rewrites its append-only file once it has grown by a
 * share of itself. The price is a journal of at most a quarter of users.json to replay at start.
 */
export const JOURNAL_MIN = 1000;
export const JOURNAL_SHARE = 0.25;

/** Registrations the journal may hold, with `accounts` accounts in all, before it is written back. */
export function journalLimit(accounts: number): number {
  return Math.max(JOURNAL_MIN, Math.ceil(accounts * JOURNAL_SHARE));
}

export class StoreError extends Error {}

/** What a users file holds, as a server finds it at start (see {@link readUsersFile}). */
export interface UsersFileContents {
  accounts: Account[];
  /** How many of them users.json held, and how many only its journals. */
  inFile: number;
  inJournals: number;
  /** Whether a journal lay beside the file (one moved aside by a write-back counts too). */
  journal: boolean;
}

/**
 * The accounts of an existing users file as a server would hold them at start (users.json, then
 * its journals), read under the file's lock (a running server's file is refused: its journal is
 * being written) and left exactly as they were: nothing is created or written back.
 */
export function readUsersFile(path: string): UsersFileContents {
  return underLock(path, ({ accounts, replayed, journals }) => ({
    accounts: [...accounts.values()],
    inFile: accounts.size - replayed,
    inJournals: replayed,
    journal: journals > 0,
  }));
}

/**
 * Changes the accounts of an existing users file whose server is stopped (offline maintenance:
 * --rename-user). They are read under the file's lock as a start reads them, journals included,
 * and handed to `change` as a copy of the map by case-folded name (`change` replaces accounts, it
 * does not edit them); nothing is written when it throws. The journals are folded into users.json
 * first, unchanged, and deleted; only then is the change written, as one users.json again. Two
 * steps, so that a crash between any two writes leaves a file a start reads as before the change
 * or after it: written at once, a crash before the journals were deleted would replay from them
 * an account renamed meanwhile under its old name, beside the new.
 */
export function changeUsersFile<T>(path: string, change: (accounts: Map<string, Account>) => T): T {
  return underLock(path, ({ accounts, journals }) => {
    const changed = new Map(accounts);
    const result = change(changed);
    const write = (from: Map<string, Account>) => new DurableFile<Data>(path, pieces).writeSync({ users: [...from.values()] });
    if (journals > 0) {
      write(accounts);
      for (const journal of [`${journalOf(path)}.old`, journalOf(path)]) rmSync(journal, { force: true });
    }
    write(changed);
    return result;
  });
}

/** Runs `f` on the accounts of the existing users file at `path`, under its lock (see load). */
function underLock<T>(path: string, f: (loaded: ReturnType<typeof load>) => T): T {
  // Before the lock, which would be created beside a file that is not there.
  if (!existsSync(path)) missing(path);
  const lockPath = `${path}.lock`;
  takeLock(`users file ${path}`, lockPath);
  try {
    return f(load(path, readUsers(path) ?? missing(path)));
  } finally {
    releaseLock(lockPath);
  }
}

function missing(path: string): never {
  throw new StoreError(`users file ${path} does not exist`);
}

/** users.json in pieces: one account a line, serialized as the writer pulls them. */
function* pieces(data: Data): Iterable<string> {
  yield '{"users":[\n';
  const { users } = data;
  for (let i = 0; i < users.length; i++) yield `${JSON.stringify(users[i])}${i < users.length - 1 ? ',' : ''}\n`;
  yield ']}\n';
}

export class UserFile implements AccountStore {
  /** Registrations being written, so a second one of the same name waits for the first. */
  private readonly writing = new Map<string, Promise<Account>>();
  private readonly journal: AppendLog;
  /** Registrations in the journal since users.json was last written. */
  private journaled = 0;
  private compacting: Promise<void> | null = null;
  /** Journal appends under way, each settled once its account is in memory. */
  private readonly appending = new Set<Promise<void>>();
  /** While the journal is being moved aside: new registrations wait for it. */
  private rotating: Promise<void> | null = null;

  private constructor(
    private readonly db: Low<Data>,
    private readonly path: string,
    private readonly lockPath: string,
    /** Keyed by the case-folded name. */
    private readonly accounts: Map<string, Account>,
    clock: Clock,
  ) {
    this.journal = new AppendLog({ clock, delayMs: 0 });
  }

  /** Opens (or creates) the users file, takes its lock and reads the journals left by a previous run. */
  static async open(path: string, clock: Clock = systemClock): Promise<UserFile> {
    const lockPath = `${path}.lock`;
    takeLock(`users file ${path}`, lockPath);
    try {
      const db = new Low<Data>(new DurableFile<Data>(path, pieces), { users: [] });
      const data = readUsers(path);
      if (data) db.data = data;
      else await db.write();
      const { accounts, replayed } = load(path, db.data);
      const store = new UserFile(db, path, lockPath, accounts, clock);
      if (replayed > 0) store.compact();
      return store;
    } catch (e) {
      releaseLock(lockPath);
      throw e;
    }
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

  /** A registration of `name` still being written, if any. */
  inFlight(name: string): Promise<Account> | undefined {
    return this.writing.get(foldName(name));
  }

  /**
   * Adds an account and resolves once it is durable (its journal line is fsynced). The caller
   * must have checked that the name is free and not in flight; the name is reserved at once so
   * a concurrent registration sees it.
   */
  create(name: string, hash: string, now: Date): Promise<Account> {
    const key = foldName(name);
    if (this.accounts.has(key) || this.writing.has(key)) throw new StoreError(`${name} exists`);
    const account: Account = { name, hash, created: now.toISOString() };
    const done = (async () => {
      while (this.rotating) await this.rotating;
      const appended = this.journal.append(this.journalPath, JSON.stringify(account)).then(
        () => {
          this.accounts.set(key, account);
          this.db.data.users.push(account);
        },
        (e: unknown) => {
          throw new StoreError(`cannot write users journal ${this.journalPath}: ${fileProblem(e, this.journalPath)}`);
        },
      );
      this.appending.add(appended);
      try {
        await appended;
      } finally {
        this.appending.delete(appended);
      }
      if (++this.journaled >= journalLimit(this.accounts.size)) this.compact();
      return account;
    })().finally(() => this.writing.delete(key));
    this.writing.set(key, done);
    return done;
  }

  /**
   * Waits for writes in flight, writes the journal back into users.json (a stopped server leaves
   * one file: what an operator expects to find and back up) and releases the lock.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
    await this.compacting;
    if (this.journaled > 0 || existsSync(this.journalPath)) {
      this.compact();
      await this.compacting;
    }
    await this.journal.close();
    releaseLock(this.lockPath);
  }

  private get journalPath(): string {
    return journalOf(this.path);
  }

  /**
   * Writes the accounts back into users.json and retires the journal. The journal is moved aside
   * first, once every append to it has landed in memory (registrations wait meanwhile, a few ms):
   * then everything in it is in the snapshot, and new registrations go to a new journal. If an
   * older journal is still aside (a write-back that failed), this one stays where it is: the
   * snapshot holds its accounts too, but not what comes after.
   */
  private compact(): void {
    if (this.compacting) return;
    this.journaled = 0;
    const old = `${this.journalPath}.old`;
    this.compacting = (async () => {
      let retired = false;
      this.rotating = (async () => {
        await Promise.allSettled([...this.appending]);
        await this.journal.close();
        if (existsSync(this.journalPath) && !existsSync(old)) {
          renameSync(this.journalPath, old);
          retired = true;
        }
      })();
      try {
        await this.rotating;
      } finally {
        this.rotating = null;
      }
      await this.db.write();
      // The snapshot holds the retired journal's accounts (and an older one's): it may go.
      if (retired || existsSync(old)) unlinkSync(old);
    })()
      .catch(() => {
        // users.json was not rewritten: the journals still hold everything, so nothing waits on
        // it. Tried again after as many registrations as any write-back (and at close), not at
        // the next one: while a disk is full, each try would serialize every account for nothing.
      })
      .finally(() => {
        this.compacting = null;
      });
  }
}

/** The journal beside the users file at `path`. */
export function journalOf(path: string): string {
  return `${path}.journal`;
}

/**
 * The accounts of users.json (`data`) and then of its journals (the one moved aside first), by
 * case-folded name: what a server holds at start. The journals' new accounts are added to `data`
 * too, so a write-back keeps them. `replayed`: how many they added; `journals`: how many there were.
 */
function load(path: string, data: Data): { accounts: Map<string, Account>; replayed: number; journals: number } {
  const accounts = new Map<string, Account>();
  for (const a of data.users) accounts.set(foldName(a.name), a);
  let replayed = 0;
  let journals = 0;
  for (const file of [`${journalOf(path)}.old`, journalOf(path)]) {
    if (!existsSync(file)) continue;
    journals++;
    for (const row of readFileSync(file, 'utf8').split('\n')) {
      const a = parseAccount(row);
      if (!a || accounts.has(foldName(a.name))) continue; // a torn line, or already written back
      accounts.set(foldName(a.name), a);
      data.users.push(a);
      replayed++;
    }
  }
  return { accounts, replayed, journals };
}

function parseAccount(row: string): Account | null {
  try {
    const a = JSON.parse(row) as Partial<Account>;
    if (typeof a.name === 'string' && typeof a.hash === 'string') return { name: a.name, hash: a.hash, created: a.created ?? '' };
  } catch {
    // a torn last line
  }
  return null;
}

/** users.json, checked; null when there is none. */
function readUsers(path: string): Data | null {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StoreError(`cannot read users file ${path}: ${fileProblem(e)}`);
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
  return data as Data;
}
