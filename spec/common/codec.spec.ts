/**
 * The frame codec with literal bytes: 2-byte big-endian header length, a JSON header, then
 * content-length bytes of body. What a user would notice: their text arrives exactly as typed,
 * however TCP cuts it up, and a broken or oversized frame is refused with a reason.
 */
import { expect } from 'chai';
import {
  DEFAULT_MAX_BODY,
  FrameDecoder,
  encodeFrame,
  encodeMessage,
  validate,
  type Decoded,
  type Frame,
} from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { CLIENT_MESSAGES, SERVER_MESSAGES, type ClientMessage } from '../../common/protocol.js';

/** One frame from a literal JSON header and body, with the length prefix computed here. */
function frame(header: string, body: string | Buffer = ''): Buffer {
  const head = Buffer.from(header, 'utf8');
  const len = Buffer.from([head.length >> 8, head.length & 0xff]);
  return Buffer.concat([len, head, Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')]);
}

function frames(results: Decoded[]): Frame[] {
  return results.map((r) => {
    if (r.error) throw new Error(`unexpected error ${r.error.code}: ${r.error.message}`);
    return r.frame;
  });
}

/** The one error a push produced. */
function onlyError(results: Decoded[]): ChatError {
  expect(results).to.have.length(1);
  expect(results[0]!.error, 'an error').to.be.instanceOf(ChatError);
  return results[0]!.error!;
}

function check(f: Frame): ClientMessage | ChatError {
  return validate<ClientMessage>(f, CLIENT_MESSAGES);
}

function decodeOne(bytes: Buffer): ClientMessage | ChatError {
  const [f] = frames(new FrameDecoder().push(bytes));
  return check(f!);
}

describe('codec: framing', () => {
  it('decodes a frame written as literal bytes', () => {
    // 0x000e = 14 = the length of {"type":"who"}.
    const bytes = Buffer.from([0x00, 0x0e, ...Buffer.from('{"type":"who"}')]);
    const out = frames(new FrameDecoder().push(bytes));
    expect(out).to.have.length(1);
    expect(out[0]!.header).to.deep.equal({ type: 'who' });
    expect(out[0]!.body.length).to.equal(0);
  });

  it('encodes the same literal bytes it decodes', () => {
    expect(encodeMessage({ type: 'who' })).to.deep.equal(Buffer.from([0x00, 0x0e, ...Buffer.from('{"type":"who"}')]));
    const say = encodeMessage({ type: 'say', text: 'hi' });
    const header = '{"type":"say","content-length":2,"content-type":"text/plain","content-encoding":"utf-8"}';
    expect(say).to.deep.equal(frame(header, 'hi'));
  });

  it('yields nothing until the last of a frame fed one byte at a time, then the whole frame', () => {
    const bytes = frame('{"type":"say","content-length":5}', 'hello');
    const d = new FrameDecoder();
    for (let i = 0; i < bytes.length - 1; i++) {
      expect(d.push(bytes.subarray(i, i + 1)), `after byte ${i}`).to.deep.equal([]);
    }
    const [last] = frames(d.push(bytes.subarray(bytes.length - 1)));
    expect(check(last!)).to.deep.include({ type: 'say', text: 'hello' });
    expect(d.buffered).to.equal(0);
  });

  it('splits several frames that arrive in one chunk, in order', () => {
    const chunk = Buffer.concat([
      frame('{"type":"say","content-length":3}', 'one'),
      frame('{"type":"who"}'),
      frame('{"type":"dm","to":"bob","content-length":3}', 'two'),
    ]);
    const out = frames(new FrameDecoder().push(chunk)).map(check);
    expect(out).to.deep.equal([
      Object.assign(Object.create(null), { type: 'say', text: 'one' }),
      Object.assign(Object.create(null), { type: 'who' }),
      Object.assign(Object.create(null), { type: 'dm', to: 'bob', text: 'two' }),
    ]);
  });

  it('handles a chunk that ends inside the next frame, and that frame completing later', () => {
    const a = frame('{"type":"say","content-length":1}', 'A');
    const b = frame('{"type":"say","content-length":1}', 'B');
    const d = new FrameDecoder();
    const first = frames(d.push(Buffer.concat([a, b.subarray(0, 5)])));
    expect(first.map((f) => f.body.toString())).to.deep.equal(['A']);
    const second = frames(d.push(b.subarray(5)));
    expect(second.map((f) => f.body.toString())).to.deep.equal(['B']);
  });

  it('keeps newlines, tabs, emoji and accents in the body intact, counted in bytes', () => {
    const text = 'line one\nline two\ttabbed 👋🏽 merhaba arkadaşlar ünïcödé\n';
    const bytes = encodeMessage({ type: 'say', text });
    const header = JSON.parse(bytes.subarray(2, 2 + bytes.readUInt16BE(0)).toString());
    expect(header['content-length']).to.equal(Buffer.byteLength(text)).and.to.be.greaterThan(text.length);
    // One byte at a time, so multi-byte characters are split too.
    const d = new FrameDecoder();
    const out: Decoded[] = [];
    for (const byte of bytes) out.push(...d.push(Buffer.from([byte])));
    expect(check(frames(out)[0]!)).to.deep.include({ type: 'say', text });
  });

  it('accepts a body of exactly the maximum', () => {
    const d = new FrameDecoder(16);
    const [f] = frames(d.push(frame('{"type":"say","content-length":16}', 'x'.repeat(16))));
    expect(check(f!)).to.deep.include({ text: 'x'.repeat(16) });
  });

  it('refuses a body one byte over the maximum from the header alone, skips its bytes unbuffered, and reads on', () => {
    const d = new FrameDecoder(16);
    const e = onlyError(d.push(frame('{"type":"say","content-length":17}')));
    expect(e.code).to.equal('FRAME_TOO_LARGE');
    expect(e.message).to.equal('message too long: 17 bytes, the limit is 16; it was not delivered');
    expect(e.fatal).to.equal(false);
    expect(d.push(Buffer.alloc(10, 0x61))).to.deep.equal([]);
    expect(d.buffered, 'skipped, not kept').to.equal(0);
    const after = frames(d.push(Buffer.concat([Buffer.alloc(7, 0x61), frame('{"type":"say","content-length":2}', 'ok')])));
    expect(after.map((f) => f.body.toString())).to.deep.equal(['ok']);
  });

  it('applies the default 64 KiB limit: 65536 bytes pass, 65537 are refused from the header', () => {
    expect(DEFAULT_MAX_BODY).to.equal(65536);
    const ok = new FrameDecoder();
    expect(ok.push(frame('{"type":"say","content-length":65536}'))).to.deep.equal([]);
    expect(frames(ok.push(Buffer.alloc(65536, 0x61)))).to.have.length(1);
    const big = new FrameDecoder();
    expect(onlyError(big.push(frame('{"type":"say","content-length":65537}'))).code).to.equal('FRAME_TOO_LARGE');
  });

  it('refuses a header length of 0', () => {
    const e = onlyError(new FrameDecoder().push(Buffer.from([0x00, 0x00])));
    expect(e).to.include({ code: 'BAD_FRAME', message: 'malformed frame: header length is 0', fatal: true });
  });

  it('refuses a header that is not JSON', () => {
    const e = onlyError(new FrameDecoder().push(frame('{type: who}')));
    expect(e).to.include({ code: 'BAD_FRAME', message: 'malformed frame: header is not JSON', fatal: true });
  });

  for (const header of ['[1,2]', 'null', '"who"', '42', 'true']) {
    it(`refuses the JSON header ${header}: not an object`, () => {
      const e = onlyError(new FrameDecoder().push(frame(header)));
      expect(e).to.include({ code: 'BAD_FRAME', message: 'malformed frame: header is not a JSON object', fatal: true });
    });
  }

  it('refuses a header that is not UTF-8', () => {
    const head = Buffer.from([0x7b, 0xff, 0x7d]); // { 0xff }
    const e = onlyError(new FrameDecoder().push(Buffer.concat([Buffer.from([0, 3]), head])));
    expect(e).to.include({ code: 'BAD_UTF8', message: 'header is not valid UTF-8', fatal: true });
  });

  for (const length of ['-1', '1.5', '"5"', 'null', '1e300']) {
    it(`refuses content-length ${length}`, () => {
      const e = onlyError(new FrameDecoder().push(frame(`{"type":"say","content-length":${length}}`)));
      expect(e.code).to.equal('BAD_FRAME');
      expect(e.fatal).to.equal(true);
    });
  }

  it('stops after a fatal error: frames in the same chunk and in later chunks are ignored', () => {
    const d = new FrameDecoder();
    const out = d.push(Buffer.concat([Buffer.from([0, 0]), frame('{"type":"who"}')]));
    expect(onlyError(out).code).to.equal('BAD_FRAME');
    expect(d.push(frame('{"type":"who"}'))).to.deep.equal([]);
    expect(d.buffered).to.equal(0);
  });

  it('refuses to encode a header that does not fit the 2-byte length', () => {
    expect(() => encodeFrame({ type: 'say', pad: 'x'.repeat(70_000) })).to.throw(RangeError);
  });
});

describe('codec: validation', () => {
  it('returns the typed message with its fields and text', () => {
    expect(decodeOne(frame('{"type":"login","user":"alice","password":"pw"}'))).to.deep.include({
      type: 'login',
      user: 'alice',
      password: 'pw',
    });
    expect(decodeOne(frame('{"type":"pm_answer","from":"bob","accept":false}'))).to.deep.include({
      from: 'bob',
      accept: false,
    });
  });

  it('keeps optional fields optional', () => {
    const m = decodeOne(frame('{"type":"pm_answer","accept":true}'));
    expect(m).to.not.be.instanceOf(ChatError);
    expect(m).to.not.have.property('from');
  });

  it('reports an unknown type without ending the stream', () => {
    const d = new FrameDecoder();
    const out = frames(d.push(Buffer.concat([frame('{"type":"shout"}'), frame('{"type":"who"}')])));
    const e = check(out[0]!) as ChatError;
    expect(e).to.include({ code: 'UNKNOWN_TYPE', message: 'unknown message type "shout"', fatal: false });
    expect(check(out[1]!)).to.deep.include({ type: 'who' });
  });

  for (const type of ['__proto__', 'toString', 'constructor', 'hasOwnProperty']) {
    it(`treats type "${type}" as unknown, not as an inherited property`, () => {
      expect((decodeOne(frame(`{"type":"${type}"}`)) as ChatError).code).to.equal('UNKNOWN_TYPE');
    });
  }

  it('reports a missing or non-string type', () => {
    for (const header of ['{}', '{"type":7}', '{"type":null}', '{"type":["who"]}']) {
      const e = decodeOne(frame(header)) as ChatError;
      expect(e.message, header).to.equal('field "type" is missing or not a string');
    }
  });

  it('names a missing field', () => {
    const e = decodeOne(frame('{"type":"login","user":"alice"}')) as ChatError;
    expect(e).to.include({ code: 'BAD_FIELD', message: 'field "password" is missing' });
    const e2 = decodeOne(frame('{"type":"dm","content-length":2}', 'hi')) as ChatError;
    expect(e2.message).to.equal('field "to" is missing');
  });

  it('names a mistyped field and what it must be', () => {
    const cases: [header: string, body: string, message: string][] = [
      ['{"type":"login","user":5,"password":"pw"}', '', 'field "user" must be a string'],
      ['{"type":"login","user":"a","password":null}', '', 'field "password" must be a string'],
      ['{"type":"pm_answer","accept":"yes"}', '', 'field "accept" must be true or false'],
      ['{"type":"say","group":1,"content-length":1}', 'x', 'field "group" must be true or false'],
      [`{"type":"pm_request","to":"${'b'.repeat(65)}"}`, '', 'field "to" is longer than 64 characters'],
    ];
    for (const [header, body, message] of cases) {
      const e = decodeOne(frame(header, body)) as ChatError;
      expect(e, header).to.be.instanceOf(ChatError);
      expect(e.message, header).to.equal(message);
    }
  });

  it('refuses a body on a type that takes none', () => {
    const e = decodeOne(frame('{"type":"who","content-length":3}', 'abc')) as ChatError;
    expect(e).to.include({ code: 'BAD_FRAME', message: 'malformed frame: a who message takes no body', fatal: false });
  });

  it('refuses a body that is not valid UTF-8: never replaced with U+FFFD', () => {
    const bad = [
      Buffer.from([0xff, 0xfe]),
      Buffer.from([0xc0, 0xaf]), // overlong "/"
      Buffer.from([0xed, 0xa0, 0x80]), // a lone surrogate
      Buffer.from([0x68, 0x69, 0xe2, 0x82]), // "hi" and a truncated euro sign
    ];
    for (const body of bad) {
      const e = decodeOne(frame(`{"type":"say","content-length":${body.length}}`, body)) as ChatError;
      expect(e, body.toString('hex')).to.include({ code: 'BAD_UTF8', message: 'message text is not valid UTF-8' });
    }
  });

  it('refuses a body that claims another content type or encoding', () => {
    const t = decodeOne(frame('{"type":"say","content-length":1,"content-type":"text/html"}', 'x')) as ChatError;
    expect(t.message).to.equal('field "content-type" must be text/plain');
    const e = decodeOne(frame('{"type":"say","content-length":1,"content-encoding":"latin1"}', 'x')) as ChatError;
    expect(e.message).to.equal('field "content-encoding" must be utf-8');
  });

  it('keeps __proto__ as an ordinary string value and never touches prototypes', () => {
    const m = decodeOne(frame('{"type":"login","user":"__proto__","password":"pw","__proto__":{"polluted":1}}'));
    expect(m).to.deep.include({ user: '__proto__' });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('validates server messages with the server table', () => {
    const bytes = encodeFrame({ type: 'msg', id: 7, from: 'alice', ts: 1_700_000_000_000, scope: 'group' }, 'hi\n👋');
    const [f] = frames(new FrameDecoder().push(bytes));
    expect(validate(f!, SERVER_MESSAGES)).to.deep.include({ from: 'alice', scope: 'group', text: 'hi\n👋' });
    expect((validate(f!, CLIENT_MESSAGES) as ChatError).code).to.equal('UNKNOWN_TYPE');
  });

  it('holds the wire vocabulary to its words: scopes, notice events and bye reasons', () => {
    const check = (fields: Record<string, unknown>, text?: string) => {
      const [f] = frames(new FrameDecoder().push(encodeFrame(fields, text)));
      return validate(f!, SERVER_MESSAGES);
    };
    const line = { type: 'msg', id: 1, from: 'a', ts: 1 };
    expect(check({ ...line, scope: 'private', to: 'b' }, 'x')).to.include({ scope: 'private' });
    expect((check({ ...line, scope: 'everyone' }, 'x') as ChatError).message).to.equal('field "scope" must be one of group, private');
    expect(check({ type: 'notice', event: 'pm_invite', message: 'm', ts: 1 })).to.include({ event: 'pm_invite' });
    expect((check({ type: 'notice', event: 'party', message: 'm', ts: 1 }) as ChatError).code).to.equal('BAD_FIELD');
    expect((check({ type: 'bye', reason: 'bored', message: 'm' }) as ChatError).code).to.equal('BAD_FIELD');
  });
});
