/**
 * Range checks on every number the server sends. Pure. The frame codec checks that a number is
 * a safe integer; these check that it means something: a port a datagram can go to, a timeout a
 * timer can wait (past 2^31 ms Node fires at once), a time a clock can show. A number out of
 * range is a protocol error, said in words, never a crash deep in dgram or a timer.
 */
import type { ServerMessage } from '../common/protocol.js';

/** A day: the longest heartbeat timeout the client accepts (also its longest reconnect window). */
export const MAX_TIMEOUT_S = 86_400;
/** The latest time a JavaScript date can hold. */
const MAX_TIME = 8.64e15;
const MAX_COUNT = 1e9;

function outside(field: string, v: number | undefined, min: number, max: number): string | null {
  if (v === undefined || (v >= min && v <= max)) return null;
  return `${field} ${v} is outside ${min}–${max}`;
}

/** Why `m` carries a number no server should send, or null when every number is in range. */
export function numberProblem(m: ServerMessage): string | null {
  switch (m.type) {
    case 'login_ok':
      return (
        outside('udpPort', m.udpPort, 1, 65535) ??
        outside('timeout', m.timeout, 1, MAX_TIMEOUT_S) ??
        outside('count', m.count, 0, MAX_COUNT)
      );
    case 'msg':
      return outside('id', m.id, 0, Number.MAX_SAFE_INTEGER) ?? outside('ts', m.ts, 0, MAX_TIME);
    case 'notice':
      return outside('ts', m.ts, 0, MAX_TIME) ?? outside('count', m.count, 0, MAX_COUNT);
    case 'who':
      return outside('count', m.count, 0, MAX_COUNT);
    case 'error':
      return outside('retry', m.retry, 0, MAX_TIMEOUT_S);
    case 'hello':
      return (
        outside('maxBody', m.maxBody, 1, Number.MAX_SAFE_INTEGER) ??
        outside('maxFile', m.maxFile, 0, Number.MAX_SAFE_INTEGER) ??
        outside('fileWindow', m.fileWindow, 1, Number.MAX_SAFE_INTEGER) ??
        outside('fileRate', m.fileRate, 1, Number.MAX_SAFE_INTEGER)
      );
    case 'transfer':
      return outside('ts', m.ts, 0, MAX_TIME) ?? outside('size', m.size, 0, Number.MAX_SAFE_INTEGER);
    case 'file_chunk':
    case 'file_ack':
      return outside('seq', m.seq, 0, Number.MAX_SAFE_INTEGER);
    case 'bye':
      return null;
  }
}
