/**
 * IRC's framing: a byte stream split into lines. Pure: bytes in, lines or typed errors out; it
 * knows no sockets and never throws on what the peer sent (irc-framework keeps this apart too).
 *
 * A line ends with LF (CR LF in the RFCs; a CR before the LF is dropped). It may be at most
 * MAX_LINE bytes, CR LF included, not counting IRCv3 tags (`@a=b;c `, at most MAX_TAGS bytes).
 * A longer line is refused whole, never cut: its bytes are thrown away as they arrive and one
 * error says how long it was once its end comes. A line that is not valid UTF-8 is refused too.
 * Empty lines are ignored, as the RFCs say.
 *
 * At most MAX_TAGS + MAX_LINE bytes of an unfinished line are held, in a buffer of the
 * splitter's own (a received chunk is never pinned for the sake of a short unfinished tail).
 */
import { decodeUtf8 } from '../../../common/codec.js';
import { chatError, type ChatError } from '../../../common/errors.js';

/** Longest line without its tags, CR LF included. */
export const MAX_LINE = 512;
/** Longest tags part, "@" and the space after it included (IRCv3: 4094 bytes of tags). */
export const MAX_TAGS = 4096;

export type LineResult = { line: string; error?: undefined } | { line?: undefined; error: ChatError };

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const AT = 0x40;
const EMPTY = Buffer.alloc(0);

export class LineSplitter {
  /** The unconsumed bytes are buf[start, end). */
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** Bytes of an over-long line thrown away so far; 0 while not throwing any away. */
  private discarded = 0;

  /** Bytes held while waiting for the end of a line. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Takes a chunk; lines are taken with next(). */
  feed(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.start === this.end) {
      this.buf = chunk;
    } else {
      // What waits is one unfinished line (small), or lines not yet taken because input was
      // rationed (then reading is paused, so at most one more chunk comes).
      this.buf = Buffer.concat([this.buf.subarray(this.start, this.end), chunk]);
    }
    this.start = 0;
    this.end = this.buf.length;
  }

  /** The next line (or why it was refused); null until more bytes arrive. */
  next(): LineResult | null {
    for (;;) {
      const rest = this.buf.subarray(this.start, this.end);
      const at = rest.indexOf(LF);
      if (at < 0) return this.wait(rest);
      this.start += at + 1;
      if (this.discarded > 0) {
        const size = this.discarded + at + 1;
        this.discarded = 0;
        return { error: chatError('FRAME_TOO_LARGE', size, MAX_LINE) };
      }
      const line = rest.subarray(0, at > 0 && rest[at - 1] === CR ? at - 1 : at);
      if (this.start === this.end) this.clear();
      if (line.length === 0) continue;
      const tags = line[0] === AT ? tagsLength(line) : 0;
      if (tags > MAX_TAGS || line.length - tags + 2 > MAX_LINE) {
        return { error: chatError('FRAME_TOO_LARGE', tags > MAX_TAGS ? line.length + 2 : line.length - tags + 2, MAX_LINE) };
      }
      const text = decodeUtf8(line);
      if (text === null) return { error: chatError('BAD_UTF8', 'your line') };
      return { line: text };
    }
  }

  /** No whole line yet: keep the tail in a buffer of our own, or start throwing an over-long one away. */
  private wait(rest: Buffer): null {
    if (this.discarded > 0 || rest.length > MAX_TAGS + MAX_LINE) {
      this.discarded += rest.length;
      this.clear();
    } else if (rest.length === 0) {
      this.clear();
    } else if (rest.length < this.buf.length) {
      this.buf = Buffer.from(rest);
      this.start = 0;
      this.end = rest.length;
    }
    return null;
  }

  private clear(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
  }
}

/** Bytes of a line's tags part: up to and including the first space (the whole line if none). */
function tagsLength(line: Buffer): number {
  const space = line.indexOf(SPACE);
  return space < 0 ? line.length : space + 1;
}
