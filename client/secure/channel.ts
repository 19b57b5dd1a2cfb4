/**
 * One encrypted private session's keys at work: lines sealed to the partner and opened from
 * them, file transfers' keys, and our own lines as the server echoes them back.
 *
 * A line's plaintext is one byte saying what it is (a line, or an action: `/me waves`), then its
 * UTF-8 text; the server sees neither. Our own sealed lines come back as the server's echo: they
 * are not opened again but matched, byte for byte, against what we sent, in order, so an echo
 * that is not exactly one of ours is caught (and a rekey in between changes nothing).
 */
import { decodeUtf8 } from '../../common/codec.js';
import { SEAL_OVERHEAD } from '../../common/protocol.js';
import { fileKey, type SessionKeys } from './bundle.js';
import { Opener, Sealer } from './record.js';

const KIND = { line: 1, action: 2 } as const;
/** Sealed lines awaiting their echo, at most (a server that never echoes cannot grow this). */
const MAX_UNECHOED = 100;

export type OpenedLine =
  | { ok: true; text: string; action: boolean; skipped: number }
  | { ok: false; why: string };

export class Channel {
  private readonly sealer: Sealer;
  private readonly opener: Opener;
  /** Sealed records we sent (base64) with their text, oldest first, until echoed. */
  private readonly unechoed: { record: string; text: string; action: boolean }[];

  constructor(
    private readonly keys: SessionKeys,
    /** The previous channel's lines still waiting for their echo (a rekey moves them on). */
    unechoed: { record: string; text: string; action: boolean }[] = [],
  ) {
    this.sealer = new Sealer(keys.send);
    this.opener = new Opener(keys.receive);
    this.unechoed = unechoed;
  }

  /** A channel with new keys that still knows this one's lines in flight. */
  renewed(keys: SessionKeys): Channel {
    return new Channel(keys, this.unechoed);
  }

  /** The length of `text` sealed (base64 of kind byte, text and SEAL_OVERHEAD), without sealing it. */
  static sealedLength(text: string): number {
    return 4 * Math.ceil((1 + Buffer.byteLength(text, 'utf8') + SEAL_OVERHEAD) / 3);
  }

  /** The sealed record of a line, in base64, as a `say` body. */
  seal(text: string, action: boolean): string {
    const record = this.sealer.seal(Buffer.concat([Buffer.from([action ? KIND.action : KIND.line]), Buffer.from(text, 'utf8')])).toString('base64');
    this.unechoed.push({ record, text, action });
    if (this.unechoed.length > MAX_UNECHOED) this.unechoed.shift();
    return record;
  }

  /** A line from the partner. */
  open(record: string): OpenedLine {
    const r = this.opener.open(Buffer.from(record, 'base64'));
    if (!r.ok) {
      if (r.why === 'replayed') return { ok: false, why: `replayed or out of order (line ${r.counter}, expected ${r.expected} or later)` };
      return { ok: false, why: r.why === 'tampered' ? 'altered on the way, or not sealed with this session\'s key' : 'not a sealed line' };
    }
    const kind = r.plaintext[0];
    const text = decodeUtf8(r.plaintext.subarray(1));
    if ((kind !== KIND.line && kind !== KIND.action) || text === null) return { ok: false, why: 'not a line of text' };
    return { ok: true, text, action: kind === KIND.action, skipped: Number(r.skipped) };
  }

  /** Our own line, as the server echoed it: the one we sent first and have not seen back. */
  echoed(record: string): { text: string; action: boolean } | null {
    const i = this.unechoed.findIndex((u) => u.record === record);
    if (i < 0) return null;
    // Those before it will not come back (refused by the server: a mute).
    return this.unechoed.splice(0, i + 1).at(-1)!;
  }

  /** The sealer of our file transfer `id` (a key of its own: see bundle.fileKey). */
  fileSealer(id: string): Sealer {
    return new Sealer(fileKey(this.keys.send, id));
  }

  /** The opener of the partner's file transfer `id`. */
  fileOpener(id: string): Opener {
    return new Opener(fileKey(this.keys.receive, id));
  }
}
