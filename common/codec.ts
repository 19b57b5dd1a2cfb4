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
 * `content-type`, `content-encoding`) when a body follows. The body is the chat text.
 *
 * Errors come in two kinds. A framing error (header not a JSON object, bad or oversize
 * content-length, zero-length header) leaves us not knowing where the next frame starts, so the
 * decoder stops and the connection must close. A validation error (unknown type, missing or
 * mistyped field, bad text) concerns one well-delimited frame: it is reported and the stream goes on.
 */
import { ChatError, chatError, fatalError } from './errors.js';
import type { MessageSpec } from './protocol.js';
import { textProblem } from './text.js';

export const MAX_HEADER = 0xffff;
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

/**
 * What a decoder holds between frames, shared: nothing can be written into zero bytes, and a
 * fresh empty buffer per decoder and per read is an object (and its ArrayBuffer) for nothing.
 */
const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive, in any sizes; it buffers at
 * most one frame (2 + 65535 + maxBody bytes) and refuses an oversize body from its header alone.
 */
export class FrameDecoder {
  private buf: Buffer = EMPTY;
  /**
   * Chunks that arrived while `buf` still lacked `need` bytes. They are joined once enough is
   * here, so a frame trickled one byte at a time costs linear, not quadratic, copying.
   */
  private parked: Buffer[] = [];
  private parkedBytes = 0;
  private need = 0;
  /** Header of the frame whose body we are waiting for. */
  private pending: ParsedHeader | null = null;
  private failed = false;

  constructor(
    private readonly maxBody = DEFAULT_MAX_BODY,
    private readonly parseJson: ParseJson = JSON.parse,
  ) {}

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.buf.length + this.parkedBytes;
  }

  push(chunk: Uint8Array): Decoded[] {
    if (this.failed) return [];
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (this.buffered + bytes.length < this.need) {
      this.parked.push(bytes);
      this.parkedBytes += bytes.length;
      return [];
    }
    this.buf = this.buf.length === 0 && this.parked.length === 0 ? bytes : Buffer.concat([this.buf, ...this.parked, bytes]);
    this.parked = [];
    this.parkedBytes = 0;
    const out: Decoded[] = [];
    let off = 0;
    for (;;) {
      if (this.pending === null) {
        if (this.buf.length - off < 2) {
          this.need = 2;
          break;
        }
        const headerLength = this.buf.readUInt16BE(off);
        if (headerLength === 0) return this.fail(out, fatalError('BAD_FRAME', 'header length is 0'));
        if (this.buf.length - off - 2 < headerLength) {
          this.need = 2 + headerLength;
          break;
        }
        const parsed = parseHeader(this.buf.subarray(off + 2, off + 2 + headerLength), this.maxBody, this.parseJson);
        if (parsed instanceof ChatError) return this.fail(out, parsed);
        off += 2 + headerLength;
        this.pending = parsed;
      }
      const { header, bodyLength } = this.pending;
      if (this.buf.length - off < bodyLength) {
        this.need = bodyLength;
        break;
      }
      // Copy the body so the frame does not pin the whole receive buffer.
      const body = Buffer.from(this.buf.subarray(off, off + bodyLength));
      off += bodyLength;
      this.pending = null;
      out.push({ frame: { header, body } });
    }
    this.buf = off === this.buf.length ? EMPTY : this.buf.subarray(off);
    return out;
  }

  private fail(out: Decoded[], error: ChatError): Decoded[] {
    this.failed = true;
    this.buf = EMPTY;
    this.parked = [];
    this.parkedBytes = 0;
    out.push({ error });
    return out;
  }
}

function parseHeader(bytes: Buffer, maxBody: number, parseJson: ParseJson): ParsedHeader | ChatError {
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
  if (length > maxBody) return fatalError('FRAME_TOO_LARGE', length, maxBody);
  return { header: h, bodyLength: length };
}

/** Encodes one frame. With a body, content-length/type/encoding are filled in. */
export function encodeFrame(fields: Record<string, unknown>, text?: string): Buffer {
  const body = text === undefined ? null : Buffer.from(text, 'utf8');
  const header =
    body === null
      ? fields
      : { ...fields, 'content-length': body.length, 'content-type': 'text/plain', 'content-encoding': 'utf-8' };
  const head = Buffer.from(JSON.stringify(header), 'utf8');
  if (head.length > MAX_HEADER) throw new RangeError(`header of ${head.length} bytes does not fit a frame`);
  const out = Buffer.allocUnsafe(2 + head.length + (body?.length ?? 0));
  out.writeUInt16BE(head.length, 0);
  head.copy(out, 2);
  body?.copy(out, 2 + head.length);
  return out;
}

/** Encodes a typed message: its `text`, if any, becomes the body. */
export function encodeMessage(message: { type: string; text?: string }): Buffer {
  const { text, ...fields } = message;
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
  if (ctype !== undefined && ctype !== 'text/plain') return chatError('BAD_FIELD', 'content-type', 'must be text/plain');
  const cenc = header['content-encoding'];
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

function checkField(value: unknown, { kind, max = Infinity, values }: FieldList[number][1]): string | null {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      if (value.length > max) return `is longer than ${max} characters`;
      return values && !values.includes(value) ? `must be one of ${values.join(', ')}` : null;
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
