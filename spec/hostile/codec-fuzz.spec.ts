/**
 * The frame decoder and validator against hostile bytes: whatever arrives, in whatever pieces,
 * the result is the same messages or a typed ChatError, never a throw.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { FrameDecoder, encodeFrame, encodeMessage, validate, type Decoded } from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { CLIENT_MESSAGES, type ClientMessage } from '../../common/protocol.js';
import { textProblem } from '../../common/text.js';

const MAX_BODY = 1024;

/** What the server does with each decoded item: a plain message, or an error code (+ fatal). */
type Outcome = { msg: Record<string, unknown> } | { error: string; fatal: boolean };

function outcome(d: Decoded): Outcome {
  if (d.error) return { error: d.error.code, fatal: d.error.fatal };
  const m = validate<ClientMessage>(d.frame, CLIENT_MESSAGES);
  if (m instanceof ChatError) return { error: m.code, fatal: m.fatal };
  return { msg: { ...m } };
}

/** Feeds `chunks` to a fresh decoder the way a connection does; throws only if the codec does. */
function decodeAll(chunks: Uint8Array[], maxBody = MAX_BODY): Outcome[] {
  const d = new FrameDecoder(maxBody);
  return chunks.flatMap((c) => d.push(c).map(outcome));
}

/** Splits `bytes` at the given cut points (any numbers; reduced into range, sorted, deduplicated). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  return out;
}

function frameWithHeader(header: string | Buffer, body: Buffer = Buffer.alloc(0)): Buffer {
  const h = typeof header === 'string' ? Buffer.from(header, 'utf8') : header;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(h.length);
  return Buffer.concat([len, h, body]);
}

const anyText = fc.string({ unit: 'binary', maxLength: 200 }).filter((t) => Buffer.byteLength(t) <= MAX_BODY);
/** Text a chat line may carry: the codec itself refuses the rest (see textProblem). */
const chatText = anyText.filter((t) => textProblem(t) === null);
const name = fc.string({ unit: 'binary', maxLength: 64 });
/** Any well-formed client message (field values need not pass the server's name rules). */
const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ type: fc.constant('login' as const), user: name, password: fc.string({ unit: 'binary', maxLength: 100 }) }),
  fc.record({ type: fc.constant('say' as const), group: fc.boolean(), text: chatText }, { requiredKeys: ['type', 'text'] }),
  fc.record({ type: fc.constant('dm' as const), to: name, text: chatText }),
  fc.record({ type: fc.constant('pm_request' as const), to: name }),
  fc.record({ type: fc.constant('pm_answer' as const), from: name, accept: fc.boolean() }, { requiredKeys: ['type', 'accept'] }),
  fc.constantFrom<ClientMessage>({ type: 'who' }, { type: 'logout' }, { type: 'pm_exit' }),
);

describe('hostile: frame codec fuzzing', () => {
  it('never throws on any bytes, in any pieces, and stops after a fatal error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.array(fc.nat(), { maxLength: 20 }), (bytes, cuts) => {
        const results = decodeAll(split(Buffer.from(bytes), cuts));
        const fatal = results.findIndex((r) => 'error' in r && r.fatal);
        expect(fatal === -1 || fatal === results.length - 1, 'nothing after a fatal error').to.equal(true);
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same results however a byte stream is split', () => {
    // Mostly-valid streams with corruption make this reach past the first frame.
    const stream = fc
      .tuple(fc.array(clientMessage, { maxLength: 8 }), fc.uint8Array({ maxLength: 40 }), fc.nat())
      .map(([msgs, junk, at]) => {
        const good = Buffer.concat(msgs.map(encodeMessage));
        const pos = good.length === 0 ? 0 : at % good.length;
        return Buffer.concat([good.subarray(0, pos), junk, good.subarray(pos)]);
      });
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 30 }), (bytes, cuts) => {
        expect(decodeAll(split(bytes, cuts))).to.deep.equal(decodeAll([bytes]));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any valid messages however they are split', () => {
    fc.assert(
      fc.property(fc.array(clientMessage, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
        const bytes = Buffer.concat(msgs.map(encodeMessage));
        expect(decodeAll(split(bytes, cuts))).to.deep.equal(msgs.map((m) => ({ msg: m })));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses any chat text that breaks the text rules, as a non-fatal BAD_TEXT', () => {
    const badText = anyText.filter((t) => textProblem(t) !== null);
    fc.assert(
      fc.property(badText, fc.boolean(), (text, asDm) => {
        const msg: ClientMessage = asDm ? { type: 'dm', to: 'bob', text } : { type: 'say', text };
        expect(decodeAll([encodeMessage(msg)])).to.deep.equal([{ error: 'BAD_TEXT', fatal: false }]);
      }),
      { numRuns: 300 },
    );
  });

  it('validates any JSON object header without throwing', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.uint8Array({ maxLength: 50 }), (header, body) => {
        const result = validate({ header, body: Buffer.from(body) }, CLIENT_MESSAGES);
        expect(result instanceof ChatError || typeof result === 'object').to.equal(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('hostile: frame codec explicit cases', () => {
  const one = (bytes: Buffer, maxBody = MAX_BODY) => decodeAll([bytes], maxBody);

  it('refuses a header length of 0 as a fatal framing error', () => {
    expect(one(Buffer.from([0, 0, 0, 2, 0x7b, 0x7d]))).to.deep.equal([{ error: 'BAD_FRAME', fatal: true }]);
  });

  it('accepts a header of exactly 65535 bytes, and refuses 65535 bytes of junk', () => {
    const json = '{"type":"who"}';
    const padded = json + ' '.repeat(0xffff - json.length);
    expect(one(frameWithHeader(padded))).to.deep.equal([{ msg: { type: 'who' } }]);
    expect(one(frameWithHeader(Buffer.alloc(0xffff, 0x41)))).to.deep.equal([{ error: 'BAD_FRAME', fatal: true }]);
  });

  it('refuses headers that are not a JSON object, fatally', () => {
    for (const header of ['not json', '{"type":"who"', '[]', '["who"]', 'null', '42', '"who"', 'true']) {
      expect(one(frameWithHeader(header)), header).to.deep.equal([{ error: 'BAD_FRAME', fatal: true }]);
    }
  });

  it('reports unknown types and bad fields for one frame and reads on', () => {
    const cases: [string, string][] = [
      ['{"type":"shutdown"}', 'UNKNOWN_TYPE'],
      ['{"type":"__proto__"}', 'UNKNOWN_TYPE'],
      ['{"type":"constructor"}', 'UNKNOWN_TYPE'],
      ['{"type":"toString"}', 'UNKNOWN_TYPE'],
      ['{}', 'BAD_FIELD'],
      ['{"type":7}', 'BAD_FIELD'],
      ['{"type":null}', 'BAD_FIELD'],
      ['{"type":"login","user":"a"}', 'BAD_FIELD'],
      ['{"type":"login","user":["a"],"password":"p"}', 'BAD_FIELD'],
      ['{"type":"login","user":"a","password":1}', 'BAD_FIELD'],
      ['{"type":"pm_answer","accept":"yes"}', 'BAD_FIELD'],
      [`{"type":"dm","to":"${'x'.repeat(65)}","content-length":1}`, 'BAD_FIELD'],
      ['{"type":"say","content-length":1,"content-type":"text/html"}', 'BAD_FIELD'],
      ['{"type":"say","content-length":1,"content-encoding":"latin1"}', 'BAD_FIELD'],
      ['{"type":"who","content-length":1}', 'BAD_FRAME'],
    ];
    for (const [header, code] of cases) {
      const withBody = header.includes('content-length') ? Buffer.from('x') : Buffer.alloc(0);
      const bytes = Buffer.concat([frameWithHeader(header, withBody), encodeMessage({ type: 'who' })]);
      expect(one(bytes), header).to.deep.equal([{ error: code, fatal: false }, { msg: { type: 'who' } }]);
    }
  });

  it('refuses a bad content-length fatally', () => {
    for (const cl of ['-1', '1.5', '"3"', 'null', '9007199254740993', '1e400']) {
      expect(one(frameWithHeader(`{"type":"say","content-length":${cl}}`)), cl).to.deep.equal([
        { error: 'BAD_FRAME', fatal: true },
      ]);
    }
  });

  it('keeps a __proto__ field an ordinary key', () => {
    const header = '{"type":"login","user":"a","password":"p","__proto__":{"polluted":true},"constructor":{"x":1}}';
    const [result] = one(frameWithHeader(header));
    expect(result).to.deep.equal({ msg: { type: 'login', user: 'a', password: 'p' } });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('decodes UTF-8 strictly: invalid sequences are errors, never replaced', () => {
    const bad = [
      Buffer.from([0xff]),
      Buffer.from([0xc0, 0x80]), // overlong NUL
      Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate
      Buffer.from([0xe2, 0x82]), // truncated euro sign
      Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
    ];
    for (const b of bad) {
      const body = frameWithHeader(`{"type":"say","content-length":${b.length}}`, b);
      expect(one(body), `body ${b.toString('hex')}`).to.deep.equal([{ error: 'BAD_UTF8', fatal: false }]);
      const header = frameWithHeader(Buffer.concat([Buffer.from('{"type":"'), b, Buffer.from('"}')]));
      expect(one(header), `header ${b.toString('hex')}`).to.deep.equal([{ error: 'BAD_UTF8', fatal: true }]);
    }
  });

  it('joins a UTF-8 character split across two writes, in the body and in the header', () => {
    const bytes = encodeMessage({ type: 'dm', to: 'zoë', text: '€ and 😀' } as ClientMessage);
    const inHeader = bytes.indexOf(Buffer.from('ë')) + 1;
    const inBody = bytes.lastIndexOf(Buffer.from('😀')) + 2;
    for (const cut of [inHeader, inBody]) {
      expect(decodeAll([bytes.subarray(0, cut), bytes.subarray(cut)])).to.deep.equal([
        { msg: { type: 'dm', to: 'zoë', text: '€ and 😀' } },
      ]);
    }
  });

  it('refuses a body over the limit from its header, never buffers it, and stays in step', () => {
    const d = new FrameDecoder(MAX_BODY);
    const header = frameWithHeader(`{"type":"say","content-length":${MAX_BODY + 1}}`);
    const [first] = d.push(header);
    expect(first?.error?.code).to.equal('FRAME_TOO_LARGE');
    expect(first?.error?.fatal).to.equal(false);
    for (let i = 0; i <= MAX_BODY; i += 1000) {
      expect(d.push(Buffer.alloc(Math.min(1000, MAX_BODY + 1 - i), 0x61))).to.deep.equal([]);
      expect(d.buffered).to.equal(0);
    }
    expect(d.push(encodeMessage({ type: 'who' })).map(outcome)).to.deep.equal([{ msg: { type: 'who' } }]);
  });

  it('holds a frame trickled one byte at a time in one buffer of about its size, not one object per byte', () => {
    const d = new FrameDecoder(MAX_BODY);
    const text = 'y'.repeat(MAX_BODY - 1);
    const bytes = encodeMessage({ type: 'say', text });
    for (let i = 0; i < bytes.length - 1; i++) expect(d.push(bytes.subarray(i, i + 1))).to.deep.equal([]);
    expect(d.buffered, 'the body so far (the header is parsed already)').to.equal(text.length - 1);
    // The whole decoder, as the heap sees it: its one buffer, at most twice the frame.
    const held = (d as unknown as { buf: Buffer }).buf;
    expect(held.length).to.be.within(text.length - 1, 2 * bytes.length);
    expect(d.push(bytes.subarray(-1)).map(outcome)).to.deep.equal([{ msg: { type: 'say', text } }]);
  });

  it('keeps a leading byte order mark as text', () => {
    const text = '\ufeffhello';
    expect(one(encodeMessage({ type: 'say', text }))).to.deep.equal([{ msg: { type: 'say', text } }]);
  });

  it('accepts a body of exactly the limit', () => {
    const text = 'é'.repeat(MAX_BODY / 2);
    expect(one(encodeMessage({ type: 'say', text }))).to.deep.equal([{ msg: { type: 'say', text } }]);
  });

  it('never holds more than one frame while trickled', () => {
    const d = new FrameDecoder(MAX_BODY);
    const frame = encodeMessage({ type: 'say', text: 'x'.repeat(MAX_BODY) });
    let most = 0;
    for (let i = 0; i < 3; i++) {
      for (const byte of frame) {
        d.push(Buffer.from([byte]));
        most = Math.max(most, d.buffered);
      }
    }
    expect(most).to.be.below(frame.length);
    expect(d.buffered).to.equal(0);
  });

  it('decodes frames delivered one byte at a time', () => {
    const msgs: ClientMessage[] = [
      { type: 'login', user: 'alice', password: 'secret' },
      { type: 'say', text: 'hello\nworld 👋' },
      { type: 'who' },
    ];
    const bytes = Buffer.concat(msgs.map(encodeMessage));
    expect(decodeAll([...bytes].map((b) => Buffer.from([b])))).to.deep.equal(msgs.map((m) => ({ msg: m })));
  });

  it('survives random bytes from a seeded generator', () => {
    // A fixed sequence, so a failure here is reproducible without fast-check's seed.
    let x = 0x2545f491;
    const bytes = Buffer.from(new Uint8Array(64 * 1024).map(() => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x & 0xff;
    }));
    for (const size of [1, 7, 1500, 65536]) {
      const chunks = split(bytes, Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size));
      expect(decodeAll(chunks)).to.deep.equal(decodeAll([bytes]));
    }
  });

  it('refuses to encode a header that does not fit a frame', () => {
    expect(() => encodeFrame({ type: 'who', pad: 'x'.repeat(0x10000) })).to.throw(RangeError);
  });
});
