/**
 * The open-file limit (ulimit -n, systemd's LimitNOFILE), which caps connections whatever
 * --max-connections says. Past it, libuv accepts and closes new connections silently (its
 * "EMFILE trick"), the users file cannot be written and nobody is told why. So the server reads
 * the limit at start and keeps its connections below it, with headroom for the files it opens
 * itself; the excess gets a clear "too many connections" instead.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** Descriptors kept free for the users file, the log after a reopen, hashing threads, TLS. */
const HEADROOM = 32;

/** The soft limit on open files, from /proc/self/limits; undefined where unknown (not Linux). */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Descriptors open now; undefined where unknown. */
export function openFiles(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/**
 * How many connections the limit leaves room for, given what is open now (a connection is one
 * descriptor) and `reserved` descriptors others may take (the ops endpoint's connections);
 * undefined when the limit is unknown or unlimited.
 */
export function connectionRoom(reserved = 0, limit = openFileLimit(), open = openFiles()): number | undefined {
  if (limit === undefined || open === undefined) return undefined;
  return Math.max(1, limit - open - HEADROOM - reserved);
}
