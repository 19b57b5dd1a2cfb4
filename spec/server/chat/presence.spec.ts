import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { attachConsole, consoleCommand } from '../../../server/console.js';
import { Presence } from '../../../server/chat/presence.js';
import { FakeClock } from '../../support/fake-clock.js';
import { pass as passAndBeat } from '../../support/heartbeats.js';
import { startServer, TestClient, type Running, startPrivate } from '../../support/harness.js';

describe('Presence', () => {
  it('sweeps in order of last heartbeat: a heartbeat moves a user to the back', () => {
    const p = new Presence<string>(5000);
    p.touch('a', 0);
    p.touch('b', 1000);
    p.touch('c', 2000);
    p.touch('a', 3000);
    expect(p.sweep(4999)).to.deep.equal([]);
    expect(p.sweep(6000)).to.deep.equal(['b']);
    expect(p.sweep(7000)).to.deep.equal(['c']);
    expect(p.sweep(7999)).to.deep.equal([]);
    expect(p.sweep(8000)).to.deep.equal(['a']);
    expect(p.size).to.equal(0);
  });

  it('expires at exactly the timeout, not a millisecond before', () => {
    const p = new Presence<string>(20_000);
    p.touch('a', 1_000);
    expect(p.sweep(20_999)).to.deep.equal([]);
    expect(p.seen('a')).to.equal(1_000);
    expect(p.sweep(21_000)).to.deep.equal(['a']);
    expect(p.seen('a')).to.equal(undefined);
  });

  it('looks only at the expired entries (plus one) among 10,000', () => {
    const p = new Presence<number>(20_000);
    for (let i = 0; i < 10_000; i++) p.touch(i, i);
    // Entries touched at 0..99 are 20 s old at 20,099: exactly those go.
    const gone = p.sweep(20_099);
    expect(gone).to.deep.equal([...Array(100).keys()]);
    expect(p.scanned).to.equal(101);
    expect(p.size).to.equal(9_900);
    expect(p.sweep(20_099)).to.deep.equal([]);
    expect(p.scanned).to.equal(1);
    p.touch(100, 20_099); // a heartbeat from the oldest remaining one
    expect(p.sweep(20_101)).to.deep.equal([101]);
    expect(p.scanned).to.equal(2);
  });

  it('forgets a user: no later sweep reports them', () => {
    const p = new Presence<string>(1000);
    p.touch('a', 0);
    p.touch('b', 0);
    p.forget('a');
    p.forget('nobody');
    expect(p.size).to.equal(1);
    expect(p.seen('a')).to.equal(undefined);
    expect(p.sweep(5000)).to.deep.equal(['b']);
    expect(new Presence<string>(1000).sweep(0)).to.deep.equal([]);
  });
});

describe('presence on a running server (fake clock)', () => {
  const TIMEOUT = 20;
  let clock: FakeClock;
  let srv: Running;
  let consoleIn: PassThrough;
  let consoleOut: string[];
  let onlineEvents: (readonly string[])[];

  beforeEach(async () => {
    clock = new FakeClock();
    srv = await startServer({ heartbeatTimeout: TIMEOUT }, clock);
    consoleIn = new PassThrough();
    const out = new PassThrough();
    consoleOut = [];
    out.on('data', (b: Buffer) => consoleOut.push(...b.toString().split('\n').filter(Boolean)));
    attachConsole(srv.server, consoleIn, out, () => {});
    onlineEvents = [];
    srv.server.room.on('online', (names: readonly string[]) => onlineEvents.push([...names]));
  });
  afterEach(async () => {
    consoleIn.end();
    await srv.stop();
  });

  async function login(name: string) {
    const c = await srv.beating(name);
    return Object.assign(c, { beat: () => c.hb.beat() });
  }

  const pass = (ms: number, alive: { beat(): Promise<void> }[]) => passAndBeat(clock, ms, alive);

  const notices = (c: TestClient, event: string) => c.all('notice').filter((n) => n.event === event);

  it('marks a silent user offline at the timeout, not before: notice, log, console, private session ended', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const carol = await login('carol');
    await startPrivate(alice, bob, 'bob');

    await pass((TIMEOUT - 1) * 1000, [bob, carol]); // alice says nothing
    expect((await carol.who()).online).to.deep.equal(['alice', 'bob', 'carol']);
    expect(notices(carol, 'offline')).to.deep.equal([]);
    expect(srv.logs.some((l) => l.includes('marked offline'))).to.equal(false);

    await pass(1000, [bob, carol]);
    const seen = await carol.notice('offline');
    expect(seen).to.include({ user: 'alice' });
    expect(seen.online).to.deep.equal(['bob', 'carol']);
    expect(seen.message).to.match(/alice.*offline/);
    expect(await bob.notice('pm_ended')).to.include({ user: 'alice' });
    expect((await bob.notice('offline')).user).to.equal('alice');
    expect(srv.logs).to.include(`INFO No heartbeat from alice for ${TIMEOUT} s: marked offline`);
    expect(onlineEvents.at(-1)).to.deep.equal(['bob', 'carol']);
    expect(consoleOut.at(-1)).to.equal('Online users (2): bob, carol');
    expect((await carol.who()).online).to.deep.equal(['bob', 'carol']);
    // Bob is no longer paired: his next line goes to the group, where carol reads it.
    bob.send({ type: 'say', text: 'anyone?' });
    expect(await carol.line()).to.include({ from: 'bob', scope: 'group', text: 'anyone?' });
  });

  it('LOGOUT marks offline at once, and no offline notice follows later', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    alice.send({ type: 'logout' });
    const left = await bob.notice('leave'); // no clock advance at all
    expect(left).to.include({ user: 'alice' });
    expect(left.online).to.deep.equal(['bob']);
    expect(srv.server.room.presence.size).to.equal(1);
    expect(consoleOut.at(-1)).to.equal('Online users (1): bob');
    await pass((TIMEOUT + 2) * 1000, [bob]);
    await bob.sync();
    expect(notices(bob, 'offline')).to.deep.equal([]);
  });

  it('marks offline a user whose heartbeats stop while TCP lives, and tells them why before closing', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    await pass(2 * TIMEOUT * 1000, [alice, bob]); // two timeouts with heartbeats: still online
    expect((await bob.who()).online).to.deep.equal(['alice', 'bob']);
    await pass((TIMEOUT - 1) * 1000, [bob]); // alice's UDP is blocked from now on
    expect((await bob.who()).online).to.deep.equal(['alice', 'bob']);
    expect(alice.closed).to.equal(false);

    await pass(1000, [bob]);
    const bye = await alice.next((m) => m.type === 'bye');
    expect(bye.type === 'bye' && bye.message).to.match(/offline.*no heartbeat for 20 s/i);
    await alice.whenClosed();
    expect((await bob.notice('offline')).user).to.equal('alice');
    expect((await bob.who()).online).to.deep.equal(['bob']);
  });

  it('is measured on the monotonic clock: a wall-clock step neither ends live users nor keeps silent ones', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    await pass(5000, [alice, bob]);
    clock.stepWall(3600_000); // an hour forward: nobody has been silent for an hour
    await pass(5000, [alice, bob]);
    expect((await bob.who()).online).to.deep.equal(['alice', 'bob']);
    clock.stepWall(-7200_000); // two hours back: alice's silence still counts from now on
    await pass(TIMEOUT * 1000, [bob]);
    expect((await bob.notice('offline')).user).to.equal('alice');
    // Times shown to people follow the wall clock.
    bob.send({ type: 'say', text: 'still here' });
    expect((await bob.line()).ts).to.equal(clock.now());
  });

  it('console `online` shows the age of each last heartbeat', async () => {
    const alice = await login('alice');
    await login('bob');
    clock.advance(4000);
    await alice.beat();
    clock.advance(3000);
    expect(consoleCommand(srv.server, 'online')).to.equal(
      ['Online users (2):', '  alice: last heartbeat 3.0 s ago', '  bob: last heartbeat 7.0 s ago'].join('\n'),
    );
    expect(consoleOut).to.include('Online users (2): alice, bob'); // printed when bob joined
  });
});
