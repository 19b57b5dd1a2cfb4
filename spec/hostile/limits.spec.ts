/**
 * Resource limits against a live server: the login deadline (slowloris), connection caps in all
 * and per address, and the output cap for a client that stops reading.
 */
import { expect } from 'chai';
import { encodeMessage } from '../../common/codec.js';
import { ANNOUNCED_PER_S } from '../../server/chat/announcer.js';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { connectFrom, connectRaw, logged } from './support.js';
import { waitUntil } from '../support/wait.js';

describe('hostile: login deadline (slowloris)', () => {
  let srv: Running;
  let clock: FakeClock;
  beforeEach(async () => {
    clock = new FakeClock();
    // Nobody sends heartbeats here: keep presence from marking members offline as time moves.
    srv = await startServer({ loginTimeout: 30, heartbeatTimeout: 3600 }, clock);
  });
  afterEach(async () => srv.stop());

  it('closes a connection that trickles bytes but never logs in, at the deadline', async () => {
    const member = await TestClient.login(srv.port, 'alice');
    const r = await connectRaw(srv.port);
    await waitUntil(() => srv.server.connections === 2, 'the trickler to be accepted');
    // A header that announces 200 bytes, sent one byte every 2 s: never a whole frame.
    const header = Buffer.from([0, 200, ...Buffer.from('{"type":"login","user":"slow"')]);
    for (let i = 0; i < 14; i++) {
      r.socket.write(header.subarray(i, i + 1));
      clock.advance(2000);
    }
    await member.sync();
    expect(srv.server.connections, 'open at 28 s').to.equal(2);
    clock.advance(2000);
    expect(srv.server.connections, 'closed at 30 s').to.equal(1);
    await r.closed;
    expect(r.received().toString()).to.include('LOGIN_TIMEOUT');
    expect(logged(srv.logs, 'no login within the time allowed')).to.have.length(1);
    // The member, logged in all along, is untouched.
    member.send({ type: 'say', text: 'still here' });
    expect(await member.line()).to.include({ text: 'still here' });
  });

  it('does not extend the deadline for whole frames that are not a login', async () => {
    const c = await TestClient.connect(srv.port);
    for (let i = 0; i < 5; i++) {
      clock.advance(5000);
      await c.sync(); // answered NOT_LOGGED_IN, and the clock keeps running
    }
    clock.advance(5000);
    expect(await c.error()).to.include({ code: 'LOGIN_TIMEOUT' });
    await c.whenClosed();
  });

  /**
   * A login sent in time but still being checked at the deadline (say, queued for a hash thread
   * in a login storm) may finish. The hasher is replaced by one the test controls: the deadline
   * is what is under test, and this makes "still being checked" certain, not a race.
   */
  describe('a login still being checked at the deadline', () => {
    let release: (() => void) | null;
    beforeEach(() => {
      const hasher = (srv.server as unknown as { services: { hasher: Record<string, unknown> } }).services.hasher;
      for (const op of ['hash', 'compare'] as const) {
        const real = hasher[op] as (...a: unknown[]) => Promise<unknown>;
        hasher[op] = (...args: unknown[]) => new Promise((resolve) => (release = () => resolve(real(...args))));
      }
      release = null;
    });

    it('may finish and log in', async () => {
      const c = await TestClient.connect(srv.port);
      const sent = c.request({ type: 'login', user: 'latecomer', password: 'pw' }, (m) => m.type !== 'hello');
      await waitUntil(() => release !== null, 'the login to reach the hasher');
      clock.advance(31_000);
      release!();
      expect(await sent).to.include({ type: 'login_ok', user: 'latecomer' });
      await c.sync();
      expect(c.closed).to.equal(false);
    });

    it('closes the connection if that login fails', async () => {
      const setup = await TestClient.connect(srv.port);
      const made = setup.request({ type: 'login', user: 'carol', password: 'right' }, (m) => m.type === 'login_ok');
      await waitUntil(() => release !== null, 'the registration to reach the hasher');
      release!();
      await made;
      release = null;
      const c = await TestClient.connect(srv.port);
      c.send({ type: 'login', user: 'carol', password: 'wrong' });
      await waitUntil(() => release !== null, 'the check to reach the hasher');
      clock.advance(31_000);
      expect(c.closed).to.equal(false);
      release!();
      expect(await c.error()).to.include({ code: 'BAD_PASSWORD' });
      expect(await c.error()).to.include({ code: 'LOGIN_TIMEOUT' });
      await c.whenClosed();
    });
  });

  it('cancels the deadline on login', async () => {
    const c = await TestClient.login(srv.port, 'bob');
    clock.advance(60_000);
    await c.sync();
    expect(c.closed).to.equal(false);
  });
});

describe('hostile: connection limits', () => {
  let srv: Running;
  afterEach(async () => srv.stop());

  it('refuses connections over maxConnections with a clear error, and admits again when one leaves', async () => {
    srv = await startServer({ maxConnections: 3, maxPerAddress: 10 });
    const held = await Promise.all([1, 2, 3].map(() => TestClient.connect(srv.port)));
    await waitUntil(() => srv.server.connections === 3, 'three connections');
    const extra = await TestClient.connect(srv.port);
    expect(await extra.error()).to.deep.include({ code: 'TOO_MANY_CONNECTIONS', message: 'too many connections: the server is full (3); try again later' });
    await extra.whenClosed();
    expect(logged(srv.logs, 'Refused connection from 127.0.0.1')).to.have.length(1);
    expect(logged(srv.logs, 'Refused connection from 127.0.0.1')[0]).to.match(/:\d+: the server is full \(--max-connections 3\) \(further refusals/);
    // More refusals from that address within the minute are counted, not logged one by one.
    for (let i = 0; i < 5; i++) {
      const again = await TestClient.connect(srv.port);
      await again.whenClosed();
    }
    expect(logged(srv.logs, 'Refused connection from 127.0.0.1')).to.have.length(1);
    held[0]!.close();
    await waitUntil(() => srv.server.connections === 2, 'a slot to free up');
    const next = await TestClient.login(srv.port, 'carol');
    expect(next.me.user).to.equal('carol');
  });

  it('refuses connections over maxPerAddress from one address only', async () => {
    srv = await startServer({ maxConnections: 100, maxPerAddress: 2 });
    await TestClient.login(srv.port, 'a1');
    await TestClient.login(srv.port, 'a2');
    const third = await TestClient.connect(srv.port);
    expect(await third.error()).to.include({ code: 'TOO_MANY_CONNECTIONS', message: 'too many connections from your address (at most 2); close one first' });
    await third.whenClosed();
    // Another address is not affected by 127.0.0.1's count.
    const other = await connectFrom(srv.port, '127.0.0.2');
    expect(await other.request({ type: 'login', user: 'b1', password: 'pw' }, (m) => m.type !== 'hello')).to.include({
      type: 'login_ok',
    });
  });
});

describe('hostile: sessions kept alive by heartbeats alone', () => {
  let srv: Running;
  afterEach(async () => srv.stop());

  it('bounds them like connections: guests that drop TCP and beat on UDP cannot pile up', async () => {
    srv = await startServer({ allowGuests: true, maxConnections: 50, maxPerAddress: 3 });
    const watcher = await connectFrom(srv.port, '127.0.0.40');
    await watcher.request({ type: 'login', user: 'watcher', password: 'pw' }, (m) => m.type === 'login_ok');
    for (let i = 0; i < 12; i++) {
      const g = await TestClient.connect(srv.port);
      const ok = await g.request({ type: 'login', user: `ghost${i}`, password: '' }, (m) => m.type === 'login_ok');
      const hb = await srv.beater(ok as never);
      g.close();
      await waitUntil(() => srv.server.room.find(`ghost${i}`)?.state !== 'attached', 'the drop to be seen');
      await hb.beat(); // kept alive without a connection
    }
    const ghosts = [...srv.server.room.all()].filter((s) => s.name.startsWith('ghost'));
    expect(ghosts.map((s) => s.name)).to.deep.equal(['ghost9', 'ghost10', 'ghost11']);
    expect(logged(srv.logs, 'too many sessions waiting without a connection')).to.have.length(9);
    expect((await watcher.who()).online).to.deep.equal(['ghost10', 'ghost11', 'ghost9', 'watcher']);
  });
});

describe('hostile: a guest logging in and out in a loop', () => {
  let srv: Running;
  afterEach(async () => srv.stop());

  it('reaches the room as ANNOUNCED_PER_S joins and leaves a second, then one summary, not a notice per login', async () => {
    const clock = new FakeClock();
    srv = await startServer({ allowGuests: true, heartbeatTimeout: 3600 }, clock);
    const alice = await srv.login('alice');
    clock.advance(1000); // alice's own join is in the second before
    const rounds = 2 * ANNOUNCED_PER_S;
    for (let i = 0; i < rounds; i++) {
      const guest = await TestClient.login(srv.port, 'churner', '');
      guest.send({ type: 'logout' });
      await guest.whenClosed();
    }
    // The last of them stays: the summary says what changed since the last notice, that churner
    // is here, and not every coming and going on the way.
    const stays = await TestClient.login(srv.port, 'churner', '');
    await alice.sync();
    const told = alice.all('notice').filter((n) => n.user === 'churner');
    expect(told).to.have.length(ANNOUNCED_PER_S);
    expect(told.at(-1)).to.include({ event: 'leave' });
    clock.advance(1000);
    const summary = await alice.notice('presence');
    expect(summary).to.include({ count: 2, message: 'churner joined; 2 online' });
    expect(summary.online).to.deep.equal(['alice', 'churner']);
    stays.close();
  });
});

describe('hostile: a client that stops reading', () => {
  let srv: Running;
  afterEach(async () => srv.stop());

  it('is told apart from a reader that gets a burst bigger than maxOutput in one go', async () => {
    srv = await startServer({ maxOutput: 64 * 1024, maxBody: 16 * 1024, rateCount: 1_000_000 });
    const talkers = [await TestClient.login(srv.port, 't1'), await TestClient.login(srv.port, 't2')];
    const reader = await TestClient.login(srv.port, 'reader');
    // Each talker's 8 frames arrive in one write: 2 x 8 x 16 KiB = 256 KiB for the reader at once.
    const burst = Buffer.concat(Array.from({ length: 8 }, () => encodeMessage({ type: 'say', text: 'b'.repeat(16 * 1024) })));
    for (const t of talkers) t.raw(burst);
    for (const t of talkers) await t.sync();
    await reader.sync();
    expect(reader.all('msg')).to.have.length(16);
    expect(logged(srv.logs, 'slow reader')).to.deep.equal([]);
  });

  it('is dropped once its unsent output passes maxOutput, and everyone else gets every message', async () => {
    const maxOutput = 64 * 1024;
    srv = await startServer({ maxOutput, maxBody: 32 * 1024, rateCount: 1_000_000 });
    const talker = await TestClient.login(srv.port, 'talker');
    const readers = [await TestClient.login(srv.port, 'r1'), await TestClient.login(srv.port, 'r2')];
    const sink = await TestClient.login(srv.port, 'sink');
    sink.socket.pause(); // stops reading: the kernel buffers fill, then the server's
    const text = 'x'.repeat(8 * 1024);
    let sent = 0;
    // Enough to fill loopback socket buffers (several MiB) and then the cap; bounded in any case.
    // Each round stays well under the cap, so readers that keep up are never near it.
    while (logged(srv.logs, 'slow reader').length === 0 && sent < 20_000) {
      for (let i = 0; i < 4; i++) talker.send({ type: 'say', text });
      sent += 4;
      await talker.sync();
    }
    const drop = logged(srv.logs, 'slow reader');
    expect(drop, 'a log line with the reason').to.have.length(1);
    expect(drop[0]).to.include('sink').and.include(`output over ${maxOutput} bytes unread`);
    expect(srv.server.room.find('sink')?.state, 'sink is disconnected').to.equal('detached');
    for (const c of [talker, ...readers]) {
      await c.sync();
      expect(c.all('msg').filter((m) => m.from === 'talker')).to.have.length(sent);
    }
    // Chat goes on as before for those who read.
    talker.send({ type: 'say', text: 'after' });
    expect(await readers[0]!.next((m) => m.type === 'msg' && m.text === 'after')).to.include({ from: 'talker' });
  });
});
