/**
 * The frame codec, shared by server and client. It knows nothing about sockets: bytes go in,
 * messages or typed errors come out, and it never throws on what the peer sent.
 *
 * Frame layout (seed 004, "Proposed Improvements"):
 *
 *   +-----------------+---------------------------+---------------------------+
 *   | 2 bytes, BE: H  | H bytes: UTF-8 JSON object | content-length bytes body |
 *   +-----------------+---------------------------+---------------------------+
 *
 * The JSON header holds `type` and the message's fields, plus `content-length` (and
 * `content-type`, `content-encoding`) when a body follows. The body is the chat text
 * (`text/plain`, `utf-8`); a file chunk's bytes (`application/octet-stream`); or a record sealed
 * end to end (`application/tinychat-e2e`: base64 in a text message, raw bytes in a binary one).
 *
 * Errors come in two kinds. A framing error (header not a JSON object, a bad content-length,
 * zero-length header) leaves us not knowing where the next frame starts, so the decoder stops and
 * the connection must close. Any other error (a body over the limit, whose bytes are skipped;
 * unknown type, missing or mistyped field, bad text) concerns one well-delimited frame: it is
 * reported and the stream goes on.
 */
import { ChatError, chatError, fatalError } from './errors.js';
import { CONTENT_TYPES, MAX_HEADER, SEAL_OVERHEAD, type MessageSpec } from './protocol.js';
import { textProblem } from './text.js';

export { MAX_HEADER };
export const DEFAULT_MAX_BODY = 64 * 1024;

export interface Frame {
  header: Record<string, unknown>;
  body: Buffer;
}

export type Decoded = { frame: Frame; error?: undefined } | { frame?: undefined; error: ChatError };

// ignoreBOM: a leading U+FEFF is part of the text, not something to strip silently.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8: invalid sequences are an error, never silently replaced with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

type ParsedHeader = { header: Record<string, unknown>; bodyLength: number };

/**
 * Turns a header's text into a value. JSON.parse by default; a process that decodes the same
 * broadcast for many clients (the bench's load generator) may pass a memoised one. It must return
 * what JSON.parse would, and the decoder never changes what it returns.
 */
export type ParseJson = (text: string) => unknown;

/** What a decoder holds between frames: nothing (shared: it is never written into). */
const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive, in any sizes, and take frames
 * one at a time (`next`), so a connection can stop after a budget and go on next turn; or all
 * at once (`push`).
 *
 * It holds at most one frame's bytes (2 + 65535 + maxBody), in one buffer of its own that grows
 * by doubling: a frame trickled one byte per TCP segment costs its own size, not an object per
 * segment, and a received chunk is never pinned for the sake of a small unfinished tail. A body
 * over maxBody is refused from its header and its bytes are skipped as they arrive, never
 * buffered; the stream stays in step, so that error is not fatal.
 */
export class FrameDecoder {
  /** The unconsumed bytes are buf[start, end). */
  private buf: Buffer = EMPTY;
  private start = 0;
  private end = 0;
  /** Whether buf is ours (may be written into), rather than a chunk as received. */
  private owned = false;
  /** Header of the frame whose body we are waiting for. */
  private pending: ParsedHeader | null = null;
  /** Bytes of a refused oversize body still to be thrown away as they arrive. */
  private skip = 0;
  private failed = false;

  constructor(
    private readonly maxBody = DEFAULT_MAX_BODY,
    private readonly parseJson: ParseJson = JSON.parse,
  ) {}

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Takes a chunk and returns every frame (or error) it completes. */
  push(chunk: Uint8Array): Decoded[] {
    this.feed(chunk);
    const out: Decoded[] = [];
    for (let d = this.next(); d !== null; d = this.next()) out.push(d);
    return out;
  }

  /** Takes a chunk; frames are taken with next(). */
  feed(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (this.start === this.end) {
      // Nothing waiting: read the chunk where it lies.
      this.buf = bytes;
      this.start = 0;
      this.end = bytes.length;
      this.owned = false;
      return;
    }
    this.reserve(bytes.length);
    bytes.copy(this.buf, this.end);
    this.end += bytes.length;
  }

  /** The next frame, or error, from what has been fed; null until more bytes arrive. */
  next(): Decoded | null {
    if (this.failed) return null;
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.end - this.start);
        this.start += n;
        this.skip -= n;
        if (this.skip > 0) return this.wait();
      }
      const have = this.end - this.start;
      if (this.pending === null) {
        if (have < 2) return this.wait();
        const headerLength = this.buf.readUInt16BE(this.start);
        if (headerLength === 0) return this.fail(fatalError('BAD_FRAME', 'header length is 0'));
        if (have - 2 < headerLength) return this.wait();
        const at = this.start + 2;
        const parsed = parseHeader(this.buf.subarray(at, at + headerLength), this.parseJson);
        if (parsed instanceof ChatError) return this.fail(parsed);
        this.start = at + headerLength;
        if (parsed.bodyLength > this.maxBody) {
          this.skip = parsed.bodyLength;
          return { error: chatError('FRAME_TOO_LARGE', parsed.bodyLength, this.maxBody) };
        }
        this.pending = parsed;
      }
      const { header, bodyLength } = this.pending;
      if (this.end - this.start < bodyLength) return this.wait();
      // Copied, so the frame does not pin the buffer it came in.
      const body = Buffer.from(this.buf.subarray(this.start, this.start + bodyLength));
      this.start += bodyLength;
      this.pending = null;
      if (this.start === this.end) this.clear();
      return { frame: { header, body } };
    }
  }

  /** Nothing complete yet: keep the unfinished tail in a buffer of our own, and wait. */
  private wait(): null {
    if (this.start === this.end) this.clear();
    else if (!this.owned) this.reserve(0);
    return null;
  }

  /** Makes buf ours with room for `more` bytes after the unconsumed ones (doubling, so appends are linear). */
  private reserve(more: number): void {
    const have = this.end - this.start;
    if (this.owned && this.buf.length - this.end >= more) return;
    if (this.owned && this.buf.length - have >= more) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      const grown = Buffer.allocUnsafe(Math.max(1024, 2 * (have + more)));
      this.buf.copy(grown, 0, this.start, this.end);
      this.buf = grown;
      this.owned = true;
    }
    this.start = 0;
    this.end = have;
  }

  private clear(): void {
    this.buf = EMPTY;
    this.start = 0;
    this.end = 0;
    this.owned = false;
  }

  private fail(error: ChatError): Decoded {
    this.failed = true;
    this.clear();
    return { error };
  }
}

function parseHeader(bytes: Buffer, parseJson: ParseJson): ParsedHeader | ChatError {
  const text = decodeUtf8(bytes);
  if (text === null) return fatalError('BAD_UTF8', 'header');
  let header: unknown;
  try {
    header = parseJson(text);
  } catch {
    return fatalError('BAD_FRAME', 'header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fatalError('BAD_FRAME', 'header is not a JSON object');
  }
  const h = header as Record<string, unknown>;
  // Absent means no body; anything else (null included) must be a proper length.
  const length = h['content-length'] === undefined ? 0 : h['content-length'];
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    return fatalError('BAD_FRAME', 'content-length must be a non-negative integer');
  }
  return { header: h, bodyLength: length };
}

/** Encodes one frame. With a body, content-length/type/encoding are filled in. */
export function encodeFrame(fields: Record<string, unknown>, text?: string): Buffer {
  if (text === undefined) return frameOf(fields, null);
  return frameOf({ ...fields, ...bodyHeader(Buffer.byteLength(text, 'utf8'), CONTENT_TYPES.text, 'utf-8') }, Buffer.from(text, 'utf8'));
}

function bodyHeader(length: number, type: string, encoding?: string): Record<string, unknown> {
  return { 'content-length': length, 'content-type': type, ...(encoding ? { 'content-encoding': encoding } : {}) };
}

function frameOf(header: Record<string, unknown>, body: Buffer | null): Buffer {
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  if (head.length > MAX_HEADER) throw new RangeError(`header of ${head.length} bytes does not fit a frame`);
  const out = Buffer.allocUnsafe(2 + head.length + (body?.length ?? 0));
  out.writeUInt16BE(head.length, 0);
  head.copy(out, 2);
  body?.copy(out, 2 + head.length);
  return out;
}

/**
 * Encodes a typed message: its `text`, if any, becomes the body (a sealed one, already base64,
 * as it is); its `data` the binary body.
 */
export function encodeMessage(message: { type: string; text?: string; data?: Buffer; sealed?: boolean }): Buffer {
  const { text, data, sealed, ...fields } = message;
  if (data !== undefined) return frameOf({ ...fields, ...bodyHeader(data.length, sealed ? CONTENT_TYPES.sealed : CONTENT_TYPES.binary) }, data);
  if (text !== undefined && sealed) {
    return frameOf({ ...fields, ...bodyHeader(text.length, CONTENT_TYPES.sealed, 'base64') }, Buffer.from(text, 'latin1'));
  }
  return encodeFrame(fields, text);
}

/** Checks a frame against a message table and returns the typed message, or why it is not one. */
export function validate<T>(frame: Frame, table: Readonly<Record<string, MessageSpec>>): T | ChatError {
  const { header, body } = frame;
  const type = header.type;
  if (typeof type !== 'string') return chatError('BAD_FIELD', 'type', 'is missing or not a string');
  if (!Object.hasOwn(table, type)) return chatError('UNKNOWN_TYPE', type.slice(0, 64));
  const spec = table[type]!;
  // Keys come only from the spec, never from the peer, so a plain object is safe: a peer's
  // "__proto__" field is never copied, and a "__proto__" value is an ordinary string.
  const message: Record<string, unknown> = { type };
  for (const [name, field] of fieldsOf(spec)) {
    const value = header[name];
    if (value === undefined) {
      if (field.optional) continue;
      return chatError('BAD_FIELD', name, 'is missing');
    }
    const problem = checkField(value, field);
    if (problem) return chatError('BAD_FIELD', name, problem);
    message[name] = value;
  }
  if (spec.body === 'none') {
    if (body.length > 0) return chatError('BAD_FRAME', `a ${type} message takes no body`);
    return message as T;
  }
  const ctype = header['content-type'];
  const cenc = header['content-encoding'];
  if (ctype === CONTENT_TYPES.sealed && spec.sealed) {
    const problem = sealedProblem(spec.body === 'binary', cenc, body);
    if (problem) return problem;
    message.sealed = true;
    if (spec.body === 'binary') message.data = body;
    else message.text = body.toString('latin1');
    return message as T;
  }
  if (spec.body === 'binary') {
    if (ctype !== undefined && ctype !== CONTENT_TYPES.binary) return chatError('BAD_FIELD', 'content-type', `must be ${CONTENT_TYPES.binary}`);
    if (cenc !== undefined) return chatError('BAD_FIELD', 'content-encoding', 'must be absent for a binary body');
    message.data = body;
    return message as T;
  }
  if (ctype !== undefined && ctype !== CONTENT_TYPES.text) return chatError('BAD_FIELD', 'content-type', 'must be text/plain');
  if (cenc !== undefined && cenc !== 'utf-8') return chatError('BAD_FIELD', 'content-encoding', 'must be utf-8');
  const text = decodeUtf8(body);
  if (text === null) return chatError('BAD_UTF8', 'message text');
  if (spec.body === 'chat') {
    const problem = textProblem(text);
    if (problem) return chatError('BAD_TEXT', problem);
  }
  message.text = text;
  return message as T;
}

/**
 * What is wrong with a sealed body: in a text message it must be canonical base64 (the line
 * stays text, and one record has one spelling); either way it holds at least a record's overhead.
 */
function sealedProblem(binary: boolean, cenc: unknown, body: Buffer): ChatError | null {
  if (binary) {
    if (cenc !== undefined) return chatError('BAD_FIELD', 'content-encoding', 'must be absent for a binary body');
    return body.length < SEAL_OVERHEAD ? chatError('BAD_FIELD', 'content-length', `is too short for a sealed record`) : null;
  }
  if (cenc !== 'base64') return chatError('BAD_FIELD', 'content-encoding', 'must be base64 for a sealed line');
  const decoded = canonicalBase64(body.toString('latin1'));
  if (decoded === null) return chatError('BAD_FIELD', 'body', 'is not canonical base64');
  return decoded < SEAL_OVERHEAD ? chatError('BAD_FIELD', 'content-length', 'is too short for a sealed record') : null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The decoded length of `s` if it is canonical base64 (padded, and the unused bits of its last
 * character zero, so that it decodes back to itself), else null. Node's decoder is lenient
 * (skips junk, ignores missing padding): this is the strict check it lacks.
 */
export function canonicalBase64(s: string): number | null {
  if (!BASE64.test(s)) return null;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes.length : null;
}

type FieldList = ReadonlyArray<readonly [string, MessageSpec['fields'][string]]>;
const fieldLists = new WeakMap<MessageSpec, FieldList>();

/** A spec's fields as a list, made once per spec: every frame walks it (a client's, thousands a second). */
function fieldsOf(spec: MessageSpec): FieldList {
  let list = fieldLists.get(spec);
  if (list === undefined) {
    list = Object.entries(spec.fields);
    fieldLists.set(spec, list);
  }
  return list;
}

function checkField(value: unknown, { kind, max = Infinity, min = 0, values, pattern }: FieldList[number][1]): string | null {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (value.length > max) return `is longer than ${max} characters`;
      if (pattern && !pattern.test(value)) return 'is not a valid id';
      return values && !values.includes(value) ? `must be one of ${values.join(', ')}` : null;
    case 'base64': {
      if (typeof value !== 'string') return 'must be a string';
      // Checked before decoding: a huge string is refused for its length alone.
      // Sizes are said "in base64", so a SHA-256 sent in hex (64 characters) does not read as
      // "longer than 32 bytes" of a digest that is 32 bytes.
      if (value.length > 4 * Math.ceil(max / 3)) return `is longer than ${max} bytes in base64 (${4 * Math.ceil(max / 3)} characters)`;
      const n = canonicalBase64(value);
      if (n === null) return 'must be canonical base64';
      if (n < min || n > max) return min === max ? `must be ${min} bytes in base64` : `must be ${min} to ${max} bytes in base64`;
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'integer':
      return Number.isSafeInteger(value) ? null : 'must be an integer';
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return 'must be a list of strings';
      return value.length > max ? `has more than ${max} items` : null;
    default:
      return 'has an unknown kind';
  }
}
