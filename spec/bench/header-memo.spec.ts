/**
 * The load generator's memoised header parse: decoders that receive the same broadcast share one
 * parsed header, and each still applies its own rules.
 */
import { expect } from 'chai';
import { FrameDecoder, type Decoded, type Frame } from '../../common/codec.js';
import type { ChatError } from '../../common/errors.js';
import { memoJson } from '../../bench/header-memo.js';

function frame(header: string, body = ''): Buffer {
  const head = Buffer.from(header, 'utf8');
  return Buffer.concat([Buffer.from([head.length >> 8, head.length & 0xff]), head, Buffer.from(body, 'utf8')]);
}

function frames(results: Decoded[]): Frame[] {
  return results.map((r) => {
    if (r.error) throw new Error(`unexpected error ${r.error.code}`);
    return r.frame;
  });
}

function onlyError(results: Decoded[]): ChatError {
  expect(results).to.have.length(1);
  return results[0]!.error!;
}

describe('bench: a header parse shared by decoders', () => {
  const a = frame('{"type":"say","content-length":3}', 'abc');
  const b = frame('{"type":"say","content-length":3,"group":true}', 'xyz');

  it('parses a header once for every decoder that receives the same bytes, and keeps bodies apart', () => {
    const parse = memoJson();
    const one = frames(new FrameDecoder(1024, parse).push(Buffer.concat([a, b])));
    const two = frames(new FrameDecoder(1024, parse).push(Buffer.concat([a, b])));
    expect(two[0]!.header).to.equal(one[0]!.header); // the same object: parsed once
    expect(two[1]!.header).to.equal(one[1]!.header);
    expect(two[1]!.header).to.deep.equal({ type: 'say', 'content-length': 3, group: true });
    expect(two.map((f) => f.body.toString())).to.deep.equal(['abc', 'xyz']);
  });

  it('still applies each decoder its own body limit, and refuses a bad length every time', () => {
    const parse = memoJson();
    frames(new FrameDecoder(1024, parse).push(a));
    expect(onlyError(new FrameDecoder(2, parse).push(a)).code).to.equal('FRAME_TOO_LARGE');
    const bad = frame('{"type":"say","content-length":-1}');
    expect(onlyError(new FrameDecoder(1024, parse).push(bad)).code).to.equal('BAD_FRAME');
    expect(onlyError(new FrameDecoder(1024, parse).push(bad)).code).to.equal('BAD_FRAME');
  });

  it('forgets everything when full', () => {
    const parse = memoJson(1);
    const first = frames(new FrameDecoder(1024, parse).push(a))[0]!.header;
    frames(new FrameDecoder(1024, parse).push(b)); // full: emptied, then b kept
    const again = frames(new FrameDecoder(1024, parse).push(a))[0]!.header;
    expect(again).to.not.equal(first); // parsed anew
    expect(again).to.deep.equal(first);
  });
});
