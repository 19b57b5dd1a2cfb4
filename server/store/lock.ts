/**
 * A lock file that keeps a second server off a file (the users file), with its owner's pid in it.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export class LockError extends Error {}

/**
 * Creates the lock file exclusively. A lock left by a dead process (kill -9) is taken over: the
 * file holds the owner's pid, and signal 0 tells whether it still runs.
 */
export function takeLock(what: string, lockPath: string): void {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createLock(lockPath)) return;
    const pid = lockOwner(lockPath);
    if (pid > 0 && isAlive(pid)) {
      throw new LockError(`${what} is in use by another server (pid ${pid}; lock file ${lockPath})`);
    }
    breakStaleLock(lockPath, pid);
  }
  throw new LockError(`cannot take lock ${lockPath}`);
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
    throw new LockError(`cannot create lock file ${lockPath}: ${(e as Error).message}`);
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

export function releaseLock(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // Already gone: nothing to release.
  }
}
