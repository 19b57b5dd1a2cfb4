/**
 * Sealed records: AES-256-GCM under one key per direction, with the record's counter as its
 * nonce.
 *
 *   +-------------+-------------------+------------------+--------------+
 *   | version (1) | counter (8, BE)   | ciphertext (n)   | GCM tag (16) |
 *   +-------------+-------------------+------------------+--------------+
 *
 * The nonce is four zero bytes then the counter. A key never seals two records with one nonce, by
 * construction: only a Sealer seals, it counts up from 0 by itself, and nothing can set its
 * counter; a key is made for one direction of one session (or one transfer) and a Sealer is
 * made once per key. The header is authenticated too (GCM's additional data), so a record cannot
 * be moved to another place in the stream without failing.
 *
 * An Opener expects the counters in order: a record that does not authenticate is `tampered`; one
 * whose counter is behind is `replayed` (sent again, or delivered out of order); one ahead says
 * how many were skipped (lost or withheld), which the caller reports.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SEAL_OVERHEAD } from '../../common/protocol.js';

const VERSION = 1;
const HEADER = 9;
const TAG = 16;
/** Far more records than a session sends; a Sealer stops before a counter could ever wrap. */
const MAX_COUNTER = 2n ** 48n;

function nonce(counter: bigint): Buffer {
  const n = Buffer.alloc(12);
  n.writeBigUInt64BE(counter, 4);
  return n;
}

function checkKey(key: Buffer): Buffer {
  if (key.length !== 32) throw new Error('a record key is 32 bytes');
  return key;
}

/** Seals records under one key; the only holder of that key's counter. */
export class Sealer {
  private next = 0n;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = checkKey(key);
  }

  /** Records sealed so far. */
  get sealed(): bigint {
    return this.next;
  }

  seal(plaintext: Uint8Array): Buffer {
    if (this.next >= MAX_COUNTER) throw new Error('too many records under one key');
    const counter = this.next++;
    const header = Buffer.alloc(HEADER);
    header[0] = VERSION;
    header.writeBigUInt64BE(counter, 1);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce(counter), { authTagLength: TAG });
    cipher.setAAD(header);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }
}

export type Opened =
  | { ok: true; plaintext: Buffer; counter: bigint; /** Records before this one that never came. */ skipped: bigint }
  | { ok: false; why: 'malformed' | 'tampered' }
  | { ok: false; why: 'replayed'; counter: bigint; expected: bigint };

/** Opens the records of one key, in order. */
export class Opener {
  private expected = 0n;
  private readonly key: Buffer;

  constructor(key: Buffer) {
    this.key = checkKey(key);
  }

  open(record: Uint8Array): Opened {
    const r = Buffer.from(record.buffer, record.byteOffset, record.length);
    if (r.length < SEAL_OVERHEAD || r[0] !== VERSION) return { ok: false, why: 'malformed' };
    const counter = r.readBigUInt64BE(1);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce(counter), { authTagLength: TAG });
    decipher.setAAD(r.subarray(0, HEADER));
    decipher.setAuthTag(r.subarray(r.length - TAG));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(r.subarray(HEADER, r.length - TAG)), decipher.final()]);
    } catch {
      return { ok: false, why: 'tampered' };
    }
    // Authentic, but not new: the same record again, or an older one after a newer.
    if (counter < this.expected) return { ok: false, why: 'replayed', counter, expected: this.expected };
    const skipped = counter - this.expected;
    this.expected = counter + 1n;
    return { ok: true, plaintext, counter, skipped };
  }
}
