/**
 * Bytes that are not valid UTF-8, and bodies over the configured size, against a live server:
 * a bad chat body is one refused frame and the stream goes on; a bad header or an oversize body
 * leaves the stream out of step, so the connection is closed (the session is only detached).
 */
import { expect } from 'chai';
import { encodeMessage } from '../../common/codec.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

/** A frame with a raw header and body, for bytes encodeMessage would never produce. */
function rawFrame(header: Buffer, body: Buffer = Buffer.alloc(0)): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(header.length);
  return Buffer.concat([len, header, body]);
}

const lostLine = (srv: Running, name: string) => srv.logs.filter((l) => l.startsWith(`INFO Lost connection from ${name} (`));

describe('hostile: invalid UTF-8 at the server', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => srv.stop());

  it('refuses a say whose body is not UTF-8 with BAD_UTF8, and the connection stays usable', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    const bodies = [
      Buffer.from([0x68, 0xff, 0x69]), // a byte that is never UTF-8
      Buffer.from([0xc0, 0xaf]), // overlong "/"
      Buffer.from([0xed, 0xa0, 0x80]), // a lone surrogate
      Buffer.from([0x61, 0xe2, 0x82]), // cut off in the middle of "€"
    ];
    for (const body of bodies) {
      const bad = rawFrame(Buffer.from(JSON.stringify({ type: 'say', 'content-length': body.length })), body);
      // The valid line in the same write shows the stream is still in step after the bad frame.
      alice.raw(Buffer.concat([bad, encodeMessage({ type: 'say', text: `after ${body.toString('hex')}` })]));
      expect(await alice.error(), body.toString('hex')).to.deep.equal({
        type: 'error',
        code: 'BAD_UTF8',
        message: 'message text is not valid UTF-8',
      });
      expect(await alice.line()).to.include({ from: 'alice', text: `after ${body.toString('hex')}` });
    }
    await bob.sync();
    expect(bob.all('msg').map((m) => m.text)).to.deep.equal(bodies.map((b) => `after ${b.toString('hex')}`));
    expect(bob.all('error')).to.deep.equal([]);
    expect(alice.closed).to.equal(false);
    expect(alice.all('error')).to.have.length(bodies.length);
  });

  it('answers a header that is not UTF-8 with BAD_UTF8 and closes; what followed is not read', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    await alice.notice('join');
    const header = Buffer.concat([Buffer.from('{"type":"who","x":"'), Buffer.from([0xfe, 0xff]), Buffer.from('"}')]);
    alice.raw(Buffer.concat([rawFrame(header), encodeMessage({ type: 'say', text: 'never read' })]));
    expect(await alice.error()).to.deep.equal({ type: 'error', code: 'BAD_UTF8', message: 'header is not valid UTF-8' });
    await alice.whenClosed();
    expect(alice.all('who')).to.deep.equal([]);

    await waitUntil(() => lostLine(srv, 'alice').length === 1, 'the server dropped alice');
    expect(lostLine(srv, 'alice')[0]).to.match(/: protocol error: header is not valid UTF-8$/);
    // Only detached, as for any lost connection: bob hears nothing, and alice is still listed.
    await bob.sync();
    expect(bob.all('msg')).to.deep.equal([]);
    expect(bob.all('notice')).to.deep.equal([]);
    expect(await bob.request({ type: 'who' }, (m) => m.type === 'who')).to.deep.include({ online: ['alice', 'bob'] });
  });

  it('closes a connection that has not logged in on a non-UTF-8 header too', async () => {
    const c = await srv.login('carol'); // the server keeps serving others
    const anon = await TestClient.connect(srv.port);
    try {
      anon.raw(rawFrame(Buffer.from([0x7b, 0x80, 0x7d])));
      expect(await anon.error()).to.include({ code: 'BAD_UTF8' });
      await anon.whenClosed();
    } finally {
      anon.close();
    }
    c.send({ type: 'say', text: 'still up' });
    expect(await c.line()).to.include({ text: 'still up' });
  });
});

describe('hostile: maxBody reaches the decoder', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer({ maxBody: 100 });
  });
  afterEach(async () => srv.stop());

  it('delivers a say of exactly maxBody bytes, and answers one byte more with FRAME_TOO_LARGE, keeping the connection', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    await alice.notice('join');
    const fits = 'é'.repeat(50); // 50 characters, 100 bytes: the limit counts bytes
    alice.send({ type: 'say', text: fits });
    expect(await bob.line()).to.include({ from: 'alice', text: fits });

    alice.send({ type: 'say', text: `${fits}!` }); // 101 bytes
    expect(await alice.error()).to.deep.equal({
      type: 'error',
      code: 'FRAME_TOO_LARGE',
      message: 'message too long: 101 bytes, the limit is 100; it was not delivered',
    });
    alice.send({ type: 'say', text: 'still here' });
    expect(await bob.line()).to.include({ from: 'alice', text: 'still here' });
    expect(alice.closed).to.equal(false);
    expect(lostLine(srv, 'alice')).to.deep.equal([]);
    await bob.sync();
    expect(bob.all('msg').map((m) => m.text)).to.deep.equal([fits, 'still here']);
  });

  it('applies the limit to every message with a body (dm), not only to say', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    alice.send({ type: 'dm', to: 'bob', text: 'x'.repeat(100) });
    expect(await bob.line()).to.include({ scope: 'private', text: 'x'.repeat(100) });
    alice.send({ type: 'dm', to: 'bob', text: 'x'.repeat(101) });
    expect(await alice.error()).to.include({ code: 'FRAME_TOO_LARGE' });
    await alice.sync();
    await bob.sync();
    expect(bob.all('msg')).to.have.length(1);
  });
});
