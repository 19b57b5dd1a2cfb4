/**
 * A lock file that keeps a second server off a file (the users file). It holds its owner's pid
 * and, on Linux, that process's start time (/proc/PID/stat): a pid alone is not an identity. In a
 * container the server is pid 1 on every start, so after a kill -9 the lock names a live pid
 * (ours) that is not the process that wrote it; and pids are reused on any system. A lock is
 * judged stale when its pid is our own, is not running, or runs with another start time.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { fileProblem } from '../../common/file-errors.js';

export class LockError extends Error {}

/** Creates the lock file exclusively, taking over a stale one (see above). */
export function takeLock(what: string, lockPath: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(lockPath)) return;
    const owner = readLock(lockPath);
    if (holds(owner)) {
      throw new LockError(`${what} is in use by another server (pid ${owner.pid}; lock file ${lockPath})`);
    }
    breakStaleLock(lockPath, owner.text);
  }
  throw new LockError(`cannot take lock ${lockPath}`);
}

/** What a lock says: "PID START", or "PID" where start times are unknown; "" when empty or gone. */
interface Owner {
  text: string;
  pid: number;
  start: string | undefined;
}

/** Our own lock text. */
function ours(): string {
  const start = startTime(process.pid);
  return start === undefined ? String(process.pid) : `${process.pid} ${start}`;
}

/** Whether `owner` still holds its lock: a live process, not us, started when the lock says. */
function holds(owner: Owner): boolean {
  if (owner.pid <= 0 || owner.pid === process.pid || !isAlive(owner.pid)) return false;
  if (owner.start === undefined) return true;
  const now = startTime(owner.pid);
  return now === undefined || now === owner.start;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat); undefined off Linux. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[22 - 3];
  } catch {
    return undefined;
  }
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
    writeFileSync(mine, ours(), { flag: 'wx', mode: 0o600 });
    try {
      linkSync(mine, lockPath);
    } catch (e) {
      // A file system without hard links: create the lock directly (exclusive, briefly empty).
      if (!NO_LINKS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
      writeFileSync(lockPath, ours(), { flag: 'wx', mode: 0o600 });
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new LockError(`cannot create lock file ${lockPath}: ${fileProblem(e)}`);
  } finally {
    releaseLock(mine);
  }
}

const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Removes a lock judged stale, whose text was `staleText` ("" when it was empty or garbled). Two
 * servers may do this at once: the lock is first renamed aside, which only one of them can do,
 * then checked. If what we moved is not the lock we judged stale (another server broke that one
 * and took the lock between our look and our rename), it is put back, never over a newer one.
 */
export function breakStaleLock(lockPath: string, staleText: string): void {
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // gone already: someone else broke it; try to create ours again
  }
  if (readLock(aside).text !== staleText) {
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

/** What a lock file says; pid 0 when it is gone, empty or garbled (left by a crash mid-write). */
function readLock(lockPath: string): Owner {
  let text = '';
  try {
    text = readFileSync(lockPath, 'utf8').trim();
  } catch {
    return { text, pid: 0, start: undefined };
  }
  const [pidText = '', start] = text.split(' ');
  const pid = Number(pidText);
  return { text, pid: Number.isSafeInteger(pid) && pid > 0 ? pid : 0, start };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function releaseLock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // Already gone: nothing to release.
  }
}
