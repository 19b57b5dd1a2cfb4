/**
 * Taking a session over: a resume while the old connection is still open replaces it, a resume on
 * a connection that is already logged in is refused, and what a detached session keeps for its
 * resume is bounded (the most recent 256 KiB). Real TCP, fake clock (nothing here advances it, so
 * presence never marks anyone offline).
 */
import { expect } from 'chai';
import { encodeMessage } from '../../../common/codec.js';
import type { ServerMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';
import { waitUntil } from '../../support/wait.js';

describe('sessions: taking a session over', () => {
  let srv: Running;
  const extra: TestClient[] = [];

  beforeEach(async () => {
    srv = await startServer({}, new FakeClock());
  });
  afterEach(async () => {
    extra.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  async function resume(session: string, token: string): Promise<TestClient & { reply: ServerMessage }> {
    const c = await TestClient.connect(srv.port);
    extra.push(c);
    const reply = await c.request({ type: 'resume', session, token }, (m) => m.type === 'login_ok' || m.type === 'error');
    return Object.assign(c, { reply });
  }

  it('a resume while the old connection is still open: the old one gets bye "replaced" and is closed, chat goes to the new one', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    await alice.notice('join');

    const back = await resume(alice.me.session!, alice.me.token!);
    expect(back.reply).to.deep.include({
      type: 'login_ok',
      user: 'alice',
      created: false,
      resumed: true,
      online: ['alice', 'bob'],
      session: alice.me.session, // a resume by token keeps the heartbeat credentials
      secret: alice.me.secret,
    });
    expect(back.reply.type === 'login_ok' && back.reply.token, 'the token is spent, a new one given').to.be.a('string').and.not.equal(alice.me.token);
    const bye = await alice.next((m) => m.type === 'bye');
    expect(bye).to.deep.equal({ type: 'bye', reason: 'replaced', message: 'Your session was resumed from another connection' });
    await alice.whenClosed();
    expect(alice.received.at(-1)).to.equal(bye); // nothing after the bye

    bob.send({ type: 'say', text: 'who has it now?' });
    expect(await back.line()).to.include({ from: 'bob', scope: 'group', text: 'who has it now?' });
    back.send({ type: 'say', text: 'the new one' });
    expect(await bob.next((m) => m.type === 'msg' && m.from === 'alice')).to.include({ text: 'the new one' });
    expect(alice.all('msg')).to.deep.equal([]);

    // The old connection closing did not detach the session from the new one, and nobody was told anything.
    expect(srv.logs.filter((l) => l.startsWith('INFO Lost connection from alice'))).to.deep.equal([]);
    expect(srv.logs).to.include(`INFO alice resumed the session from 127.0.0.1:${back.socket.localPort}`);
    await bob.sync();
    expect(bob.all('notice')).to.deep.equal([]);
    expect((await back.who())).to.deep.include({ online: ['alice', 'bob'] });
    expect(srv.server.connections).to.equal(2);
  });

  it('refuses a resume on a connection that is already logged in; neither session moves', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    for (const creds of [bob.me, alice.me]) {
      const e = await alice.request({ type: 'resume', session: creds.session!, token: creds.token! }, (m) => m.type === 'error');
      expect(e).to.deep.include({ code: 'ALREADY_LOGGED_IN', message: 'this connection is already logged in' });
    }
    // Still alice on her connection, bob still on his: no bye, no notice, nothing closed.
    alice.send({ type: 'say', text: 'still alice' });
    expect(await bob.next((m) => m.type === 'msg' && m.text === 'still alice')).to.include({ from: 'alice' });
    await bob.sync();
    await alice.sync();
    expect([...alice.all('bye'), ...bob.all('bye')]).to.deep.equal([]);
    expect(alice.closed || bob.closed).to.equal(false);
    expect(srv.logs.filter((l) => l.includes('resumed the session'))).to.deep.equal([]);
  });
});

describe('sessions: the backlog kept for a detached session is bounded', () => {
  const BACKLOG_BYTES = 256 * 1024; // server/session.ts
  let srv: Running;
  const extra: TestClient[] = [];

  beforeEach(async () => {
    // No flood limit in the way of one sender's burst; the fake clock never moves.
    srv = await startServer({ rateCount: 1_000_000 }, new FakeClock());
  });
  afterEach(async () => {
    extra.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  it('keeps the most recent 256 KiB in order, drops the oldest, and replays them on resume', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    await alice.notice('join');
    alice.close();
    await waitUntil(() => srv.logs.some((l) => l.startsWith('INFO Lost connection from alice (')), 'the server noticed alice is gone');

    // 48 lines of 8,000 bytes: about 375 KiB of chat while alice is detached.
    const LINES = 48;
    const texts = Array.from({ length: LINES }, (_, i) => `line ${String(i + 1).padStart(2, '0')} `.padEnd(8000, 'x'));
    for (const text of texts) bob.send({ type: 'say', text });
    await bob.next((m) => m.type === 'msg' && m.text === texts.at(-1));
    const frameOf = (m: ServerMessage) => encodeMessage(m).length;
    const sent = bob.all('msg');
    expect(sent.map((m) => m.text)).to.deep.equal(texts);
    const total = sent.reduce((n, m) => n + frameOf(m), 0);
    expect(total).to.be.greaterThan(BACKLOG_BYTES + 64 * 1024);

    const back = await TestClient.connect(srv.port);
    extra.push(back);
    const ok = await back.request({ type: 'resume', session: alice.me.session!, token: alice.me.token! }, (m) => m.type !== 'hello');
    expect(ok).to.include({ type: 'login_ok', resumed: true });
    await back.sync(); // the backlog is written before anything the resumed connection asks for
    const replayed = back.all('msg');
    const got = replayed.map((m) => m.text);
    expect(got.length).to.be.within(1, LINES - 1);
    // A contiguous run ending with the newest line: the oldest were dropped, nothing reordered.
    expect(got).to.deep.equal(texts.slice(LINES - got.length));
    expect(got).not.to.include(texts[0]);
    const bytes = replayed.reduce((n, m) => n + frameOf(m), 0);
    expect(bytes).to.be.at.most(BACKLOG_BYTES);
    // And as much as fits is kept: one more of these frames would have gone over.
    expect(bytes + frameOf(replayed[0]!)).to.be.greaterThan(BACKLOG_BYTES);
    // Exactly what bob's copies were, byte for byte (same sender, same time stamps).
    expect(replayed).to.deep.equal(sent.slice(LINES - got.length));

    // Live again: the next line arrives once, after the backlog.
    bob.send({ type: 'say', text: 'live' });
    expect(await back.line()).to.include({ text: 'live' });
    expect(back.all('msg').map((m) => m.text)).to.deep.equal([...got, 'live']);
  });
});
