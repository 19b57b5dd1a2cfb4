/**
 * Hostile names, text and bytes against a live server: each bad input gets a clear error to its
 * sender, and nobody else notices.
 */
import { expect } from 'chai';
import { encodeMessage } from '../../common/codec.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { connectRaw, tryLogin } from './support.js';
import { waitUntil } from '../support/wait.js';
import { accountsOnDisk } from '../support/accounts.js';

const PROTO_NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];

describe('hostile: names and text', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => srv.stop());

  it('treats __proto__, constructor and friends as ordinary new accounts', async () => {
    for (const name of PROTO_NAMES) {
      const c = await TestClient.login(srv.port, name, `pw-${name}`);
      expect(c.me, name).to.include({ user: name, created: true });
      c.send({ type: 'logout' });
      await c.whenClosed();
    }
    // Registered for real: the right password logs in, a wrong one is refused.
    for (const name of PROTO_NAMES) {
      const c = await TestClient.connect(srv.port);
      expect(await tryLogin(c, name, 'wrong'), name).to.include({ type: 'error', code: 'BAD_PASSWORD' });
      expect(await tryLogin(c, name, `pw-${name}`), name).to.include({ type: 'login_ok', created: false });
      c.close();
    }
    const file = { users: accountsOnDisk(srv.db) };
    expect(file.users.map((u: { name: string }) => u.name)).to.deep.equal(PROTO_NAMES);
    expect(Object.getPrototypeOf(file)).to.equal(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    // Names of other built-ins the store might inherit are still free.
    const v = await TestClient.login(srv.port, 'valueOf');
    expect(v.me.created).to.equal(true);
  });

  it('refuses look-alike and control characters in names, and the connection stays usable', async () => {
    const c = await TestClient.connect(srv.port);
    const bad = [
      'аlice', // Cyrillic а (U+0430)
      'alicе', // Cyrillic е (U+0435)
      'ａlice', // fullwidth a
      'al\u200dice', // zero-width joiner
      'al\u202eice', // right-to-left override
      'ali\u0000ce',
      'ali\nce',
      'ali\u001b[31mce',
      'al ice',
      '',
      'x'.repeat(33),
    ];
    for (const user of bad) {
      const reply = await tryLogin(c, user, 'pw');
      expect(reply, JSON.stringify(user)).to.include({ type: 'error', code: 'BAD_NAME' });
      expect((reply as { message: string }).message).to.match(/letters of one script, digits/);
    }
    expect(await tryLogin(c, 'alice', 'pw')).to.include({ type: 'login_ok', user: 'alice' });
    const file = { users: accountsOnDisk(srv.db) };
    expect(file.users.map((u: { name: string }) => u.name)).to.deep.equal(['alice']);
  });

  it('refuses control characters in chat text with a clear error while others keep chatting', async () => {
    const a = await TestClient.login(srv.port, 'alice');
    const b = await TestClient.login(srv.port, 'bob');
    const bad = ['\u001b[2J', 'over\rwrite', 'nul\u0000', 'bell\u0007', 'c1 csi \u009b31m', 'del\u007f', '\u001b]0;title\u0007'];
    for (const text of bad) {
      a.send({ type: 'say', text });
      const e = await a.error();
      expect(e.code, JSON.stringify(text)).to.equal('BAD_TEXT');
      expect(e.message).to.match(/control characters/);
    }
    a.send({ type: 'say', text: 'tabs\tand\nnewlines are fine' });
    b.send({ type: 'say', text: 'still here' });
    expect(await b.line()).to.include({ from: 'alice', text: 'tabs\tand\nnewlines are fine' });
    expect(await a.next((m) => m.type === 'msg' && m.from === 'bob')).to.include({ text: 'still here' });
    await b.sync();
    expect(b.all('msg').map((m) => m.text)).to.deep.equal(['tabs\tand\nnewlines are fine', 'still here']);
    expect(b.all('error')).to.deep.equal([]);
  });
});

describe('hostile: garbage on the wire', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer({ maxBody: 1024 });
  });
  afterEach(async () => srv.stop());

  it('answers a framing error with an error frame, closes, and keeps serving', async () => {
    const a = await TestClient.login(srv.port, 'alice');
    for (const junk of ['\u0000\u0004nope', '\u0000\u0000', '\u0000\u0005[1,2]', '\u0000\u0004null']) {
      const c = await TestClient.connect(srv.port);
      const error = c.error();
      c.raw(junk);
      expect((await error).code).to.equal('BAD_FRAME');
      await c.whenClosed();
    }
    a.send({ type: 'say', text: 'after the junk' });
    expect(await a.line()).to.include({ text: 'after the junk' });
  });

  it('refuses an oversize body from its header at once, and throws its bytes away as they come', async () => {
    const c = await TestClient.connect(srv.port);
    const head = Buffer.from(JSON.stringify({ type: 'say', 'content-length': 10_000_000 }));
    const len = Buffer.alloc(2);
    len.writeUInt16BE(head.length);
    c.raw(Buffer.concat([len, head]));
    expect(await c.error()).to.include({ code: 'FRAME_TOO_LARGE' });
    const decoder = () => [...srv.server.listener['conns']][0]!['decoder'];
    c.raw(Buffer.alloc(4_000_000, 0x61));
    await waitUntil(() => decoder()['skip'] <= 6_000_000, 'four million bytes to arrive');
    expect(decoder().buffered, 'none of them kept').to.equal(0);
    c.raw(Buffer.alloc(6_000_000, 0x61));
    // In step again right after the refused body: the next frame is read as usual.
    const reply = await tryLogin(c, 'alice', 'pw');
    expect(reply).to.include({ type: 'login_ok', user: 'alice' });
  });

  it('reports a bad frame without closing when the stream is still in step', async () => {
    const c = await TestClient.connect(srv.port);
    c.raw(Buffer.concat([encodeMessage({ type: 'fly' }), encodeMessage({ type: 'login', user: 'x' } as never)]));
    expect(await c.error()).to.include({ code: 'UNKNOWN_TYPE' });
    expect(await c.error()).to.include({ code: 'BAD_FIELD' });
    expect(await tryLogin(c, 'carol', 'pw')).to.include({ type: 'login_ok' });
  });

  it('survives random bytes from many connections', async () => {
    let x = 12345;
    const rand = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 20; i++) {
      const r = await connectRaw(srv.port);
      r.socket.end(Buffer.from(Array.from({ length: 50 + i * 37 }, rand)));
      await r.closed;
    }
    const a = await TestClient.login(srv.port, 'alice');
    await a.sync();
    expect(srv.server.connections).to.equal(1);
  });
});
