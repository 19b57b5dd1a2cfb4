import { expect } from 'chai';
import { join } from 'node:path';
import { encodeHeartbeat } from '../../../common/heartbeat.js';
import { makeConfig } from '../../../server/config.js';
import { consoleCommand } from '../../../server/console.js';
import { memoryLogger } from '../../../server/logger.js';
import { ChatServer } from '../../../server/server.js';
import { HeartbeatListener } from '../../../server/net/udp.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';

describe('HeartbeatListener (real datagrams, fake clock)', () => {
  const TIMEOUT = 20;
  let clock: FakeClock;
  let srv: Running;

  beforeEach(async () => {
    clock = new FakeClock();
    srv = await startServer({ heartbeatTimeout: TIMEOUT }, clock);
  });
  afterEach(async () => srv.stop());

  const counters = () => srv.server.counters;
  const beater = () => srv.beater();
  const login = (name: string) => srv.beating(name);
  const offlineNotices = (c: TestClient) => c.all('notice').filter((n) => n.event === 'offline');

  it('keeps a user online across several timeouts while valid heartbeats arrive', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    for (let t = 0; t < 4 * TIMEOUT; t += 10) {
      clock.advance(10_000);
      await alice.hb.beat();
      await bob.hb.beat();
    }
    expect(counters().datagramsAccepted).to.equal(16);
    expect((await bob.who()).online).to.deep.equal(['alice', 'bob']);
    expect(offlineNotices(bob)).to.deep.equal([]);
    // Then silence from alice: offline one timeout after her last heartbeat.
    clock.advance(10_000);
    await bob.hb.beat();
    clock.advance(10_000);
    expect((await bob.notice('offline')).user).to.equal('alice');
  });

  it('drops forged, replayed, stale, malformed, oversize and unknown-session datagrams, counted by reason, never answered', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const attacker = await beater();
    const { session } = alice.me;
    const wrongSecret = Buffer.alloc(32, 1);
    const secret = Buffer.from(alice.me.secret!, 'base64');

    await alice.hb.beat(); // seq 1
    const captured = encodeHeartbeat(session!, 5n, secret);
    await alice.hb.send(captured); // seq 5, accepted
    alice.hb.seq = 5n;

    await attacker.send(encodeHeartbeat(session!, 1000n, wrongSecret)); // forged
    await attacker.send(captured); // replayed: the same datagram again
    await attacker.send(encodeHeartbeat(session!, 3n, secret)); // stale: a lower, once-valid sequence
    await attacker.send(Buffer.from('hello server')); // malformed
    await attacker.send(Buffer.alloc(0)); // malformed: empty
    const v2 = Buffer.from(encodeHeartbeat(session!, 9n, secret));
    v2[2] = 2;
    await attacker.send(v2); // malformed: unknown version
    await attacker.send(Buffer.alloc(1200, 0x48)); // oversize
    await attacker.send(encodeHeartbeat('no-such-session', 1n, wrongSecret)); // unknown-session

    expect(counters().datagramsDropped).to.deep.equal({
      forged: 1,
      replayed: 1,
      stale: 1,
      malformed: 3,
      oversize: 1,
      'unknown-session': 1,
    });
    expect(counters().datagramsAccepted).to.equal(2);
    // The forged seq 1000 did not move the bar: alice's own next heartbeat (seq 6) still counts.
    await alice.hb.beat();
    expect(counters().datagramsAccepted).to.equal(3);
    // Still serving, alice still online, and not one byte came back to anyone.
    expect((await bob.who()).online).to.deep.equal(['alice', 'bob']);
    expect(await attacker.inbox()).to.deep.equal([]);
    expect(await alice.hb.inbox()).to.deep.equal([]);
    expect(consoleCommand(srv.server, 'stats')).to.match(
      /Datagrams accepted: 3, dropped: forged 1, replayed 1, stale 1, malformed 3, oversize 1, unknown-session 1$/,
    );
  });

  it('does not let replayed or forged heartbeats keep a silent user online', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const attacker = await beater();
    const secret = Buffer.from(alice.me.secret!, 'base64');
    const captured = encodeHeartbeat(alice.me.session!, 1n, secret);
    await alice.hb.send(captured); // alice's last real heartbeat, at 0 s
    for (let t = 5; t < TIMEOUT; t += 5) {
      clock.advance(5000);
      await bob.hb.beat();
      await attacker.send(captured);
      await attacker.send(encodeHeartbeat(alice.me.session!, BigInt(100 + t), Buffer.alloc(32)));
    }
    expect((await bob.who()).online).to.deep.equal(['alice', 'bob']);
    clock.advance(5000);
    expect((await bob.notice('offline')).user).to.equal('alice');
    expect(counters().datagramsDropped).to.deep.equal({ replayed: 3, forged: 3 });
  });

  it('survives a burst of junk and keeps serving', async () => {
    const alice = await login('alice');
    const attacker = await beater();
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.alloc(i % 400, i & 0xff);
      if (i % 7 === 0) junk.write('HB\x01', 0, 'latin1');
      await attacker.send(junk);
    }
    const dropped = Object.values(counters().datagramsDropped).reduce((a, b) => a + b, 0);
    expect(dropped).to.equal(500);
    expect((await alice.who()).online).to.deep.equal(['alice']);
    expect(await attacker.inbox()).to.deep.equal([]);
  });

  it('logs drops at most once a minute per source address', async () => {
    const attacker = await beater();
    const dropLines = () => srv.logs.filter((l) => l.includes('Dropped heartbeat from 127.0.0.1'));
    for (let i = 0; i < 5; i++) await attacker.send(Buffer.from('junk'));
    expect(dropLines()).to.have.length(1);
    clock.advance(59_000);
    await attacker.send(Buffer.from('junk'));
    expect(dropLines()).to.have.length(1);
    clock.advance(1_000);
    await attacker.send(Buffer.alloc(400)); // a minute after the first line: one more
    await attacker.send(Buffer.alloc(400));
    expect(dropLines()).to.have.length(2);
    expect(dropLines()[1]).to.match(/oversize/);
    expect(counters().datagramsDropped).to.deep.equal({ malformed: 6, oversize: 2 });
  });

  it('caps drop log lines when a flood comes from many (spoofable) addresses', () => {
    const listener = new HeartbeatListener(srv.server.room, counters(), clock, srv.server.log);
    const before = srv.logs.length;
    for (let i = 0; i < 300; i++) listener.receive(Buffer.from('junk'), `10.0.${i >> 8}.${i & 0xff}`);
    const lines = srv.logs.slice(before);
    expect(lines).to.have.length(101);
    expect(lines.at(-1)).to.match(/over 100 addresses/);
    expect(counters().datagramsDropped).to.deep.equal({ malformed: 300 });
    clock.advance(60_000);
    listener.sweep(); // a minute on, the old addresses are forgotten: logging resumes
    listener.receive(Buffer.from('junk'), '10.9.9.9');
    expect(srv.logs.at(-1)).to.match(/Dropped heartbeat from 10\.9\.9\.9: malformed/);
  });

  it('refuses to start on a UDP port already taken, saying so once', async () => {
    const logger = memoryLogger();
    const second = new ChatServer(makeConfig({ port: 0, udpPort: srv.udpPort, log: '', bcryptCost: 4, db: join(srv.dir, 'second.json') }), { logger });
    const failure = await second.start().then(() => null, (e: NodeJS.ErrnoException) => e);
    expect(failure?.code).to.equal('EADDRINUSE');
    expect(logger.lines.filter((l) => l.includes('UDP socket error'))).to.deep.equal([]);
    const alice = await login('alice'); // the first server is untouched
    await alice.hb.beat();
    expect(counters().datagramsAccepted).to.equal(1);
  });

  it('never logs a session secret, even for heartbeats it drops', async () => {
    const alice = await login('alice');
    const attacker = await beater();
    const secret = Buffer.from(alice.me.secret!, 'base64');
    await attacker.send(encodeHeartbeat(alice.me.session!, 0n, Buffer.alloc(32)));
    await alice.hb.beat();
    expect(counters().datagramsAccepted).to.equal(1);
    const logs = srv.logs.join('\n');
    expect(logs).to.include('Dropped heartbeat');
    for (const form of [alice.me.secret!, secret.toString('hex'), secret.toString('base64url')]) expect(logs).not.to.include(form);
  });
});
