/**
 * The presence datagram (UDP). One heartbeat is:
 *
 *   offset  size  field
 *   0       2     magic "HB" (0x48 0x42)
 *   2       1     version (1)
 *   3       1     L: length of the session id (1..255)
 *   4       L     session id (printable ASCII, from login_ok.session)
 *   4+L     8     sequence number, unsigned 64-bit big-endian, strictly increasing per session
 *   12+L    32    HMAC-SHA256 over bytes 0 .. 12+L-1, keyed with the session secret
 *
 * The server accepts a heartbeat only with a valid MAC (checked in constant time) and a sequence
 * above the last accepted one, so a captured datagram cannot be replayed and nobody without the
 * secret can keep a user online. Heartbeats are never answered: no reflection, no amplification.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const MAGIC = 0x4842; // "HB"
/** Datagram format version carried in byte 2. */
export const HEARTBEAT_VERSION = 1;
const MAC_BYTES = 32;
/** Anything longer than this is not a heartbeat. */
export const MAX_HEARTBEAT = 4 + 255 + 8 + MAC_BYTES;
/** Session ids are printable ASCII, so what the server looks up is exactly what it handed out. */
const PRINTABLE = /^[\x21-\x7e]+$/;

/**
 * Builds the heartbeat for `session` with sequence number `seq`, signed with the session secret.
 * Throws RangeError for an id that is empty, longer than 255 bytes or not printable ASCII, and for
 * a sequence number outside 0 .. 2^64-1.
 */
export function encodeHeartbeat(session: string, seq: bigint, secret: Buffer): Buffer {
  if (!PRINTABLE.test(session) || session.length > 255) throw new RangeError('session id must be 1-255 printable ASCII characters');
  const id = Buffer.from(session, 'ascii');
  const out = Buffer.alloc(4 + id.length + 8 + MAC_BYTES);
  out.writeUInt16BE(MAGIC, 0);
  out.writeUInt8(HEARTBEAT_VERSION, 2);
  out.writeUInt8(id.length, 3);
  id.copy(out, 4);
  out.writeBigUInt64BE(seq, 4 + id.length);
  const signed = 4 + id.length + 8;
  createHmac('sha256', secret).update(out.subarray(0, signed)).digest().copy(out, signed);
  return out;
}

/** A datagram split into its parts (nothing verified yet), or why it is not a heartbeat at all. */
export type Parsed = { session: string; seq: bigint; signed: Buffer; mac: Buffer } | { problem: 'oversize' | 'malformed' };

/** Splits a datagram into its parts without trusting any of them. Never throws. */
export function parseHeartbeat(data: Buffer): Parsed {
  if (data.length > MAX_HEARTBEAT) return { problem: 'oversize' };
  if (data.length < 4 + 1 + 8 + MAC_BYTES) return { problem: 'malformed' };
  if (data.readUInt16BE(0) !== MAGIC || data.readUInt8(2) !== HEARTBEAT_VERSION) return { problem: 'malformed' };
  const len = data.readUInt8(3);
  if (len === 0 || data.length !== 4 + len + 8 + MAC_BYTES) return { problem: 'malformed' };
  const session = data.toString('latin1', 4, 4 + len);
  if (!PRINTABLE.test(session)) return { problem: 'malformed' };
  const signed = data.subarray(0, 4 + len + 8);
  return { session, seq: data.readBigUInt64BE(4 + len), signed, mac: data.subarray(4 + len + 8) };
}

/** Constant-time check of a parsed heartbeat's MAC. */
export function macValid(signed: Buffer, mac: Buffer, secret: Buffer): boolean {
  const expected = createHmac('sha256', secret).update(signed).digest();
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}
