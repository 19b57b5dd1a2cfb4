import { expect } from 'chai';
import type { ServerMessage } from '../../../common/protocol.js';
import { consoleCommand } from '../../../server/console.js';
import { FakeClock } from '../../support/fake-clock.js';
import { pass as passAndBeat, type Beater } from '../../support/heartbeats.js';
import { waitUntil } from '../../support/wait.js';
import { LOGIN_WAIT_MS, startServer, TestClient, type Running, startPrivate } from '../../support/harness.js';

describe('sessions: heartbeat credentials and resume after a lost connection (fake clock)', () => {
  const TIMEOUT = 20;
  let clock: FakeClock;
  let srv: Running;

  beforeEach(async () => {
    clock = new FakeClock();
    srv = await startServer({ heartbeatTimeout: TIMEOUT }, clock);
  });
  afterEach(async () => srv.stop());

  const login = (name: string) => srv.beating(name);
  const pass = (ms: number, alive: Beater[]) => passAndBeat(clock, ms, alive);
  /** Drops the TCP connection without LOGOUT and waits until the server has noticed. */
  async function drop(c: TestClient, name: string): Promise<void> {
    c.close();
    await waitUntil(() => srv.logs.some((l) => l.startsWith(`INFO Lost connection from ${name} (`)), `the server noticed ${name} is gone`);
  }
  async function resume(session: string, token: string): Promise<TestClient & { reply: ServerMessage }> {
    const c = await TestClient.connect(srv.port);
    const reply = await c.request({ type: 'resume', session, token }, (m) => m.type === 'login_ok' || m.type === 'error');
    return Object.assign(c, { reply });
  }
  const noticesOf = (c: TestClient) => c.all('notice').map((n) => `${n.event} ${n.user ?? ''}`.trim());

  it('login_ok carries the UDP port, a session id, a fresh 32-byte secret, a token and the timeout; none is logged', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const { me } = alice;
    expect(me.udpPort).to.equal(srv.udpPort);
    expect(me.timeout).to.equal(TIMEOUT);
    expect(me.session).to.match(/^[\w-]{16}$/);
    expect(me.token).to.be.a('string').with.length.above(20);
    const secret = Buffer.from(me.secret!, 'base64');
    expect(secret).to.have.length(32);
    expect(secret.toString('base64')).to.equal(me.secret);
    alice.send({ type: 'logout' });
    await alice.whenClosed();
    const again = await login('alice');
    const all = [me, bob.me, again.me];
    for (const field of ['session', 'secret', 'token'] as const) expect(new Set(all.map((m) => m[field])).size).to.equal(3);
    await again.hb.beat(); // the credentials work
    expect(srv.server.counters.datagramsAccepted).to.equal(1);
    const logs = srv.logs.join('\n');
    expect(logs).to.include('alice');
    for (const m of all) {
      const raw = Buffer.from(m.secret!, 'base64');
      for (const form of [m.secret!, raw.toString('hex'), raw.toString('base64url'), m.token!]) expect(logs).not.to.include(form);
    }
  });

  it('a dropped connection detaches quietly; resume restores the name, the private session and what was missed', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const carol = await login('carol');
    await startPrivate(alice, bob, 'bob');
    await carol.sync();
    const [bobSaw, carolSaw] = [noticesOf(bob).length, noticesOf(carol).length];

    await drop(alice, 'alice');
    bob.send({ type: 'say', text: 'are you there?' }); // private: bob is still paired with alice
    carol.send({ type: 'say', text: 'hi all' });
    await carol.line();
    await pass(2 * TIMEOUT * 1000, [alice.hb, bob.hb, carol.hb]); // alice's client keeps beating while it reconnects
    expect((await carol.who()).online).to.deep.equal(['alice', 'bob', 'carol']);
    expect(consoleCommand(srv.server, 'online')).to.include('  alice: last heartbeat 0.0 s ago, connection lost\n');
    await bob.sync();
    // bob's private line did not reach alice yet: he is told she is disconnected, and nothing else.
    expect(noticesOf(bob).slice(bobSaw)).to.deep.equal(['pm_disconnected alice']);
    expect(noticesOf(carol).slice(carolSaw)).to.deep.equal([]);

    const back = await resume(alice.me.session!, alice.me.token!);
    expect(back.reply).to.include({ type: 'login_ok', user: 'alice', resumed: true, partner: 'bob', session: alice.me.session, secret: alice.me.secret });
    // The login_ok brings the next token (the one shown stays good until a resume shows that).
    const token = back.reply.type === 'login_ok' ? back.reply.token : undefined;
    expect(token).to.be.a('string').with.length(alice.me.token!.length).and.not.equal(alice.me.token);
    const missed = [await back.line(), await back.line()];
    expect(missed.map((m) => [m.from, m.scope, m.text])).to.deep.equal([
      ['bob', 'private', 'are you there?'],
      ['carol', 'group', 'hi all'],
    ]);
    expect(await bob.notice('reconnected')).to.include({ user: 'alice' });

    back.send({ type: 'say', text: 'back again' });
    expect(await bob.line()).to.include({ from: 'alice', scope: 'private', text: 'back again' });
    bob.send({ type: 'say', text: 'welcome back' });
    const reply = await back.next((m) => m.type === 'msg' && m.from === 'bob');
    expect(reply).to.include({ scope: 'private', text: 'welcome back' });
    await carol.sync();
    await bob.sync();
    expect(noticesOf(bob).slice(bobSaw)).to.deep.equal(['pm_disconnected alice', 'reconnected alice']);
    expect(noticesOf(carol).slice(carolSaw)).to.deep.equal([]);
    expect(carol.all('msg').map((m) => m.text)).to.deep.equal(['hi all']);
    await alice.hb.beat(); // the same heartbeat credentials and sequence carry on
    expect(srv.server.counters.datagramsDropped).to.deep.equal({});

    // Twice more: the new token takes the session back; then the first, shown two resumes ago, is spent.
    const dropAgain = async (c: TestClient) => {
      c.close();
      await waitUntil(() => srv.server.room.find('alice')?.state === 'detached', 'the server noticed alice is gone again');
    };
    await dropAgain(back);
    const again = await resume(alice.me.session!, token!);
    expect(again.reply).to.include({ type: 'login_ok', user: 'alice', resumed: true });
    await dropAgain(again);
    const replay = await resume(alice.me.session!, alice.me.token!);
    expect(replay.reply).to.include({ type: 'error', code: 'RESUME_FAILED' });
  });

  it('pending private-chat requests survive a resume', async () => {
    const dave = await login('dave');
    const erin = await login('erin');
    dave.send({ type: 'pm_request', to: 'erin' });
    await erin.notice('pm_invite');
    await drop(erin, 'erin');
    await dave.sync();
    expect(noticesOf(dave)).to.deep.equal(['join erin', 'pm_sent erin']);

    const back = await resume(erin.me.session!, erin.me.token!);
    expect(back.reply).to.include({ type: 'login_ok', resumed: true });
    back.send({ type: 'say', text: 'Y' });
    expect(await dave.notice('pm_started')).to.include({ user: 'erin' });
    expect(await back.notice('pm_started')).to.include({ user: 'dave' });
  });

  it('--max-backlog: past the total, the user who dropped first loses what was kept first; each resume gets what was left', async () => {
    await srv.stop();
    // Lines of 4,000 characters: two frames fit in 10,000 bytes, three do not.
    srv = await startServer({ heartbeatTimeout: TIMEOUT, maxBacklog: 10_000 }, clock);
    const alice = await login('alice');
    const bob = await login('bob');
    const carol = await login('carol');
    await drop(alice, 'alice');
    await drop(bob, 'bob');
    const lines = ['L1', 'L2', 'L3'].map((n) => n + '.'.repeat(4000));
    for (const text of lines) carol.send({ type: 'say', text });
    await carol.sync();
    const texts = async (c: { me: ServerMessage<'login_ok'> }) => {
      const back = await resume(c.me.session!, c.me.token!);
      expect(back.reply).to.include({ type: 'login_ok', resumed: true });
      await back.sync();
      return back.all('msg').map((m) => m.text.slice(0, 2));
    };
    expect(await texts(alice), 'alice waited longest: she lost all of it').to.deep.equal([]);
    expect(await texts(bob), 'bob: the newest two, which fit').to.deep.equal(['L2', 'L3']);
  });

  it('refuses a wrong token; a password login then takes the session over with new heartbeat credentials', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    await startPrivate(alice, bob, 'bob');
    for (let i = 0; i < 5; i++) await alice.hb.beat(); // the old client got to seq 5
    await drop(alice, 'alice');

    const wrong = await resume(alice.me.session!, 'A'.repeat(alice.me.token!.length));
    expect(wrong.reply).to.include({ type: 'error', code: 'RESUME_FAILED' });
    wrong.send({ type: 'resume', session: 'no-such-session', token: alice.me.token! });
    expect(await wrong.error()).to.include({ code: 'RESUME_FAILED' });
    wrong.send({ type: 'login', user: 'alice', password: 'pw' });
    const ok = await wrong.next<ServerMessage<'login_ok'>>((m) => m.type === 'login_ok', LOGIN_WAIT_MS);
    expect(ok).to.include({ user: 'alice', resumed: true, partner: 'bob' });
    expect(ok.session).not.to.equal(alice.me.session);
    expect(ok.secret).not.to.equal(alice.me.secret);
    expect(ok.token).not.to.equal(alice.me.token);
    expect(await bob.notice('reconnected')).to.include({ user: 'alice' });
    bob.send({ type: 'say', text: 'still here' });
    expect(await wrong.line()).to.include({ from: 'bob', scope: 'private' });

    // The new client counts from 1 and is heard; the old credentials are dead.
    const fresh = await srv.beater(ok);
    await fresh.beat();
    expect(srv.server.counters.datagramsAccepted).to.equal(6);
    await alice.hb.beat();
    expect(srv.server.counters.datagramsDropped).to.deep.equal({ 'unknown-session': 1 });
    const old = await resume(alice.me.session!, alice.me.token!);
    expect(old.reply).to.include({ type: 'error', code: 'RESUME_FAILED' });
  });

  it('once the user is marked offline the session is gone: resume fails and a normal login is needed', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    await drop(alice, 'alice');
    await pass((TIMEOUT - 1) * 1000, [bob.hb]);
    await bob.sync();
    expect(noticesOf(bob)).to.deep.equal([]); // nothing at all while alice is only detached
    await pass(1000, [bob.hb]);
    expect(await bob.notice('offline')).to.include({ user: 'alice' });

    const late = await resume(alice.me.session!, alice.me.token!);
    expect(late.reply).to.include({ type: 'error', code: 'RESUME_FAILED' });
    late.send({ type: 'login', user: 'alice', password: 'pw' });
    const ok = await late.next<ServerMessage<'login_ok'>>((m) => m.type === 'login_ok', LOGIN_WAIT_MS);
    expect(ok).to.include({ user: 'alice', created: false });
    expect(ok.resumed).to.equal(undefined);
    expect(ok.session).not.to.equal(alice.me.session);
    expect(await bob.notice('join')).to.include({ user: 'alice' });
  });

  it('counts a resume as a heartbeat, and a resumed client that never beats still goes offline', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    await drop(alice, 'alice');
    await pass(15_000, [bob.hb]);
    const back = await resume(alice.me.session!, alice.me.token!);
    expect(back.reply).to.include({ type: 'login_ok', resumed: true });
    await pass((TIMEOUT - 1) * 1000, [bob.hb]); // 34 s after alice's last sign of life at login
    expect((await bob.who()).online).to.deep.equal(['alice', 'bob']);
    await pass(1000, [bob.hb]);
    expect(await bob.notice('offline')).to.include({ user: 'alice' });
    const bye = await back.next((m) => m.type === 'bye');
    expect(bye.type === 'bye' && bye.message).to.match(/no heartbeat/);
    await back.whenClosed();
  });
});
