/**
 * The network id of a single server: a random id made at its first start and kept in its data
 * folder (`network-id`), sent in login_ok so that clients pin their partners' keys per network
 * rather than per address (a server reached under two names, or moved to another port, is still
 * the same network). A cluster keeps one id in Redis instead (cluster/redis.ts).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileProblem } from '../../common/file-errors.js';
import { makeDirs } from '../../common/make-dirs.js';
import { NETWORK_ID } from '../../common/protocol.js';

/** A fresh id: 128 random bits, base64url. */
export function newNetworkId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The id kept in `dir`, made there the first time. Throws an Error naming the file when it
 * cannot be read or made, or holds no id: a server that changed its id unseen would have every
 * client trust its users' keys anew.
 */
export function networkIdIn(dir: string): string {
  const file = join(dir, 'network-id');
  try {
    return check(readFileSync(file, 'utf8'), file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(e, file);
  }
  const id = newNetworkId();
  try {
    makeDirs(dir, 0o700);
    // 'wx': never over an id another process made meanwhile; fsync, so a crash cannot leave it empty.
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${id}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return check(readFileSync(file, 'utf8'), file);
    throw unusable(e, file);
  }
}

/** The id in `text`, or an Error naming `file`. */
function check(text: string, file: string): string {
  const id = text.trim();
  if (!NETWORK_ID.test(id)) throw new Error(`network id file ${file} holds no network id (letters, digits, _ and -, at most 64); remove it to make a new one (clients will then trust keys anew)`);
  return id;
}

function unusable(e: unknown, file: string): Error {
  if (e instanceof Error && !(e as NodeJS.ErrnoException).code) return e;
  return new Error(`cannot use network id file ${file}: ${fileProblem(e)}`);
}
