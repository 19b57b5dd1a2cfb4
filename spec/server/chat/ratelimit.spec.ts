/**
 * Flood control (seed 000): more than 8 messages in 5 s mutes the sender for 10 s. First the pure
 * limiter with literal times, then the whole path over TCP with a fake clock.
 */
import { expect } from 'chai';
import type { ServerMessage } from '../../../common/protocol.js';
import { Limits, RateLimiter } from '../../../server/chat/ratelimit.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';

const RULE = { count: 8, windowMs: 5000, muteMs: 10_000 };

describe('RateLimiter (literal times)', () => {
  it('lets 8 messages in 5 s through and mutes on the 9th for 10 s', () => {
    const r = new RateLimiter(RULE);
    for (let i = 0; i < 8; i++) expect(r.hit(i * 500), `message ${i + 1}`).to.deep.equal({ ok: true });
    expect(r.hit(4000)).to.deep.equal({ ok: false, justMuted: true, secondsLeft: 10 });
  });

  it('counts the seconds left down while muted, and lets messages through when the mute ends', () => {
    const r = new RateLimiter(RULE);
    for (let i = 0; i < 9; i++) r.hit(0); // muted at t=0 until t=10000
    expect(r.hit(1)).to.deep.equal({ ok: false, justMuted: false, secondsLeft: 10 });
    expect(r.hit(1000)).to.deep.include({ secondsLeft: 9 });
    expect(r.hit(5500)).to.deep.include({ secondsLeft: 5 });
    expect(r.hit(9001)).to.deep.include({ secondsLeft: 1 });
    expect(r.hit(9999)).to.deep.include({ ok: false, secondsLeft: 1 });
    expect(r.hit(10_000)).to.deep.equal({ ok: true });
    // A fresh window after the mute: attempts during the mute did not count.
    for (let i = 1; i < 8; i++) expect(r.hit(10_000 + i)).to.deep.equal({ ok: true });
    expect(r.hit(10_010)).to.deep.include({ ok: false, justMuted: true });
  });

  it('never mutes a steady 8 messages per 5 s', () => {
    const r = new RateLimiter(RULE);
    for (let i = 0; i < 100; i++) expect(r.hit(i * 625), `message ${i + 1}`).to.deep.equal({ ok: true });
  });

  it('mutes a slightly faster rate on the 9th message in the window', () => {
    const r = new RateLimiter(RULE);
    for (let i = 0; i < 8; i++) r.hit(i * 600);
    expect(r.hit(8 * 600)).to.deep.include({ ok: false, justMuted: true });
  });

  it('forgets messages older than the window', () => {
    const r = new RateLimiter(RULE);
    for (let i = 0; i < 8; i++) r.hit(0);
    expect(r.hit(4999)).to.deep.include({ ok: false });
    const s = new RateLimiter(RULE);
    for (let i = 0; i < 8; i++) s.hit(0);
    expect(s.hit(5000)).to.deep.equal({ ok: true });
  });
});

describe('Limits (literal times)', () => {
  const rule = { count: 2, windowMs: 5000, muteMs: 10_000 };

  it('keeps one limit per key, whatever session the messages come from', () => {
    const l = new Limits(rule);
    expect([l.hit('user:alice', 0).ok, l.hit('user:alice', 1).ok, l.hit('user:alice', 2).ok]).to.deep.equal([true, true, false]);
    expect(l.hit('user:bob', 3).ok).to.equal(true);
    expect(l.hit('user:alice', 9_000)).to.deep.include({ ok: false, justMuted: false, secondsLeft: 2 });
  });

  it('forgets a key once its window and mute are over, and stops at the first still in use', () => {
    const l = new Limits(rule);
    l.hit('a', 0);
    l.hit('b', 1000);
    l.hit('a', 2000); // a is used again: now the most recent
    l.sweep(10_999);
    expect(l.size).to.equal(2);
    l.sweep(11_000); // b: 10 s after its last hit
    expect(l.size).to.equal(1);
    l.sweep(12_000);
    expect(l.size).to.equal(0);
  });

  it("says what a message would be told without counting one: the operator's mute first, then a flood mute", () => {
    const l = new Limits(rule);
    [0, 1, 2].forEach((t) => l.hit('user:alice', t)); // flood-muted at 2 until 10,002
    l.hold('user:alice', 5_000, 2);
    expect(l.muted('user:alice', 3_000)).to.deep.equal({ seconds: 2, byOperator: true });
    expect(l.hit('user:alice', 3_000)).to.deep.include({ ok: false, secondsLeft: 2, byOperator: true });
    expect(l.muted('user:alice', 5_000)).to.deep.equal({ seconds: 6, byOperator: false });
    expect(l.mutedFor('user:alice', 3_000)).to.equal(8, 'until every mute is over');
    expect(l.muted('user:alice', 10_002)).to.equal(null);
    expect(l.muted('user:bob', 0)).to.equal(null);
  });
});

describe('flood control over TCP (fake clock)', () => {
  let clock: FakeClock;
  let srv: Running;
  let alice: TestClient;
  let bob: TestClient;

  beforeEach(async () => {
    clock = new FakeClock();
    srv = await startServer({}, clock);
    alice = await srv.login('alice');
    bob = await srv.login('bob');
  });
  afterEach(async () => srv.stop());

  const say = (c: TestClient, text: string) => c.send({ type: 'say', text });
  const texts = (c: TestClient) => c.all('msg').map((m) => m.text);

  it('delivers 8 messages, mutes on the 9th, counts the seconds down, and lets through after 10 s', async () => {
    for (let i = 1; i <= 8; i++) say(alice, `m${i}`);
    say(alice, 'm9');
    const muted = await alice.notice('muted');
    expect(muted.message).to.equal('You are sending too fast: muted for 10 s');
    // m9 itself is refused like every line after it, so a client can match refusals to lines.
    expect(await alice.error(), 'the refusal of m9').to.include({ code: 'MUTED', retry: 10 });
    await bob.sync();
    expect(texts(bob)).to.deep.equal(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);

    const tryAgain = async (text: string) => {
      say(alice, text);
      return alice.error();
    };
    expect(await tryAgain('x')).to.include({ code: 'MUTED', message: 'you are muted for sending too fast; try again in 10 s', retry: 10 });
    clock.advance(1000);
    expect((await tryAgain('x')).message).to.equal('you are muted for sending too fast; try again in 9 s');
    clock.advance(7500);
    expect((await tryAgain('x')).message).to.equal('you are muted for sending too fast; try again in 2 s');
    clock.advance(1000);
    expect((await tryAgain('x')).message).to.equal('you are muted for sending too fast; try again in 1 s');
    // One-shot private messages and private requests are refused while muted too.
    alice.send({ type: 'dm', to: 'bob', text: 'psst' });
    expect((await alice.error()).code).to.equal('MUTED');
    await bob.sync();
    expect(texts(bob)).to.have.length(8);

    clock.advance(500); // 10 s after the mute
    say(alice, 'back again');
    expect((await bob.line()).text).to.equal('back again');
    expect(srv.logs).to.include('WARN Rate limit: alice muted for 10 s');
    expect(srv.logs.filter((l) => l.includes('muted'))).to.have.length(1);
  });

  it('mutes only the flooder: others keep chatting, and /who still answers the muted user', async () => {
    for (let i = 1; i <= 9; i++) say(alice, `m${i}`);
    await alice.notice('muted');
    say(bob, 'still here');
    expect((await alice.next<ServerMessage<'msg'>>((m) => m.type === 'msg' && m.from === 'bob')).text).to.equal('still here');
    const who = await alice.who();
    expect(who).to.deep.include({ online: ['alice', 'bob'] });
  });

  it('lets a muted user still answer a private-chat request with a bare Y', async () => {
    for (let i = 1; i <= 9; i++) say(alice, `m${i}`);
    await alice.notice('muted');
    bob.send({ type: 'pm_request', to: 'alice' });
    await alice.notice('pm_invite');
    say(alice, 'Y');
    expect((await bob.notice('pm_started')).user).to.equal('alice');
    expect((await alice.notice('pm_started')).user).to.equal('bob');
    // Still muted for chatter.
    say(alice, 'hello');
    expect((await alice.error()).code).to.equal('MUTED');
  });

  it('keeps the limit and the mute across logout and login: the limit is the account\'s', async () => {
    for (let i = 1; i <= 9; i++) say(alice, `m${i}`);
    await alice.notice('muted');
    alice.send({ type: 'logout' });
    await alice.whenClosed();
    const again = await srv.login('alice');
    say(again, 'fresh start?');
    expect(await again.error()).to.include({ code: 'MUTED' });
    clock.advance(10_000);
    say(again, 'now');
    expect((await bob.next<ServerMessage<'msg'>>((m) => m.type === 'msg' && m.text === 'now')).from).to.equal('alice');
  });

  it('does not mute a user who keeps to 8 messages per 5 s', async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 8; i++) say(alice, `r${round}m${i}`);
      await alice.sync();
      clock.advance(5000);
    }
    await bob.sync();
    expect(texts(bob)).to.have.length(24);
    expect(alice.all('notice').filter((n) => n.event === 'muted')).to.deep.equal([]);
    expect(alice.all('error')).to.deep.equal([]);
  });
});
