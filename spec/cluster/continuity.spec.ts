/**
 * A cluster through changes: a client that resumes on another server, a server that joins late
 * (from a checkpoint and the log), history and offline messages from Redis, Redis itself going
 * away and coming back, and what the console says.
 */
import { expect } from 'chai';
import { encodeMessage } from '../../common/codec.js';
import type { ClientMessage } from '../../common/protocol.js';
import { consoleCommand } from '../../server/console.js';
import { needRedis, startCluster, type Cluster } from '../support/cluster.js';
import { TestClient } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

describe('cluster: continuity', function () {
  this.timeout(30_000);
  let cluster: Cluster;

  needRedis();

  beforeEach(async () => {
    cluster = await startCluster(2, { clusterCheckpointEvents: 5, rateCount: 100 });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  it('lets a client whose connection dropped resume on another server, with the lines it missed', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n2!.login('bob');
    ann.close();
    // The drop reaches every server through the log; lines sent meanwhile are kept for a resume.
    await waitUntil(() => n2!.server.room.find('ann')?.state === 'detached', 'the drop applied on n2');
    bob.send({ type: 'say', text: 'while you were cut off' });
    bob.send({ type: 'dm', to: 'ann', text: 'and this' });
    await bob.line();
    const back = await TestClient.connect(n2!.port);
    const ok = await back.request({ type: 'resume', session: ann.me.session!, token: ann.me.token! }, (m) => m.type === 'login_ok' || m.type === 'error');
    expect(ok).to.include({ type: 'login_ok', resumed: true, user: 'ann' });
    expect(await back.line()).to.include({ text: 'while you were cut off' });
    expect(await back.line()).to.include({ text: 'and this', scope: 'private' });
    // Heartbeats now go to n2, the server the client reached.
    expect(ok.type === 'login_ok' && ok.udpPort).to.equal(n2!.udpPort);
    // The new token works on every server: n1 takes the session back with it once it has been
    // dropped again; then the first token, two resumes old, is spent there too.
    const token = ok.type === 'login_ok' ? ok.token! : '';
    expect(token).to.be.a('string').and.not.equal(ann.me.token);
    await waitUntil(() => n1!.server.room.find('ann')?.state === 'attached', 'the resume applied on n1');
    back.close();
    await waitUntil(() => n1!.server.room.find('ann')?.state === 'detached', 'the second drop applied on n1');
    const replay = await TestClient.connect(n1!.port);
    const resumeWith = (t: string) => replay.request({ type: 'resume', session: ann.me.session!, token: t }, (m) => m.type === 'login_ok' || m.type === 'error');
    expect(await resumeWith(token)).to.include({ type: 'login_ok', resumed: true });
    const late = await TestClient.connect(n2!.port);
    expect(await late.request({ type: 'resume', session: ann.me.session!, token: ann.me.token! }, (m) => m.type === 'login_ok' || m.type === 'error')).to.include({
      type: 'error',
      code: 'RESUME_FAILED',
    });
    late.close();
  });

  it('takes one resume at a time on a connection: a second, sent while the log has not answered the first, is told one is under way', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    ann.close();
    await waitUntil(() => n2!.server.room.find('ann')?.state === 'detached', 'the drop applied on n2');
    const back = await TestClient.connect(n2!.port);
    const ask: ClientMessage<'resume'> = { type: 'resume', session: ann.me.session!, token: ann.me.token! };
    const resume = encodeMessage(ask);
    back.raw(Buffer.concat([resume, resume])); // one write: the second arrives before the log answers the first
    // Refused at once, before the log has answered the first.
    expect(await back.error()).to.include({ code: 'ALREADY_LOGGED_IN', message: 'a login is already under way on this connection; wait for its answer' });
    expect(await back.next((m) => m.type === 'login_ok')).to.include({ user: 'ann', resumed: true });
    back.send({ type: 'say', text: 'still here' });
    expect(await back.line()).to.include({ from: 'ann', text: 'still here' });
    expect(back.all('bye'), 'not replaced by its own second resume').to.deep.equal([]);
    back.close();
  });

  it('brings a server that joins later up to date: who is online, history replayed, offline messages', async () => {
    const [n1] = cluster.nodes;
    const ann = await n1!.login('ann');
    for (let i = 0; i < 12; i++) ann.send({ type: 'say', text: `before ${i}` });
    for (let i = 0; i < 12; i++) await ann.line();
    const carl = await n1!.login('carl');
    carl.send({ type: 'logout' });
    await carl.whenClosed();
    ann.send({ type: 'dm', to: 'carl', text: 'for later' });
    await ann.notice('offline_stored');
    // Checkpoints every 5 events: the new server starts from one, and the log after it.
    const n3 = await cluster.add();
    expect(n3.server.room.online()).to.deep.equal(['ann']);
    const dan = await n3.login('dan');
    const replayed = dan.received.filter((m) => m.type === 'msg' && m.replay);
    expect(replayed.map((m) => (m.type === 'msg' ? m.text : ''))).to.include('before 11');
    const carlAgain = await n3.login('carl');
    await carlAgain.notice('offline_delivered');
    expect(await carlAgain.line()).to.include({ text: 'for later', offline: true, from: 'ann' });
    // A new line reaches everyone, ids still growing.
    dan.send({ type: 'say', text: 'hello from the new one' });
    const seen = await ann.line();
    expect(seen).to.include({ from: 'dan' });
    expect(seen.id).to.be.greaterThan((replayed.at(-1) as { id: number }).id);
  });

  it('keeps users connected while Redis is away: paused, lines refused as not delivered, then resumed', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n2!.login('bob');
    await cluster.redis.kill();
    expect(await ann.notice('paused')).to.have.property('message').that.matches(/paused/);
    await bob.notice('paused');
    ann.send({ type: 'say', text: 'into the void' });
    expect(await ann.error()).to.include({ code: 'CLUSTER_DOWN' });
    // A /history page is counted in the log too: refused, it still ends, for a client paging.
    ann.send({ type: 'history' });
    expect(await ann.error()).to.include({ code: 'CLUSTER_DOWN' });
    expect(await ann.notice('history')).to.include({ message: 'No history this time: /history again.' });
    await cluster.redis.restart();
    await ann.next((m) => m.type === 'notice' && m.event === 'resumed', 15_000);
    await bob.next((m) => m.type === 'notice' && m.event === 'resumed', 15_000);
    ann.send({ type: 'say', text: 'back again' });
    expect(await bob.line()).to.include({ from: 'ann', text: 'back again' });
    expect(n1!.logs.join('\n')).to.match(/lost Redis/).and.to.match(/is back/);
    expect(bob.closed).to.equal(false);
  });

  it('pauses while Redis hangs without dropping the connection, and takes nobody offline when it answers again', async () => {
    await cluster.stop();
    const leaseMs = 2500;
    cluster = await startCluster(2, { clusterLeaseMs: leaseMs, rateCount: 100 });
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n2!.login('bob');
    await waitUntil(() => n1!.server.room.count === 2 && n2!.server.room.count === 2, 'both users known on both servers');
    // Stopped, not killed: the connections stay open and commands just wait (a stalled disk does the same).
    process.kill(cluster.redis.pid()!, 'SIGSTOP');
    try {
      // A lease renewal unanswered for a whole lease says Redis is away.
      await ann.next((m) => m.type === 'notice' && m.event === 'paused', 3 * leaseMs);
      await bob.next((m) => m.type === 'notice' && m.event === 'paused', 3 * leaseMs);
      ann.send({ type: 'say', text: 'into the void' });
      expect(await ann.error()).to.include({ code: 'CLUSTER_DOWN' });
    } finally {
      // Every lease ran out meanwhile (Redis expires keys by its wall clock).
      process.kill(cluster.redis.pid()!, 'SIGCONT');
    }
    await ann.next((m) => m.type === 'notice' && m.event === 'resumed', 3 * leaseMs);
    await bob.next((m) => m.type === 'notice' && m.event === 'resumed', 3 * leaseMs);
    // Leases are judged a lease after Redis is back, when every living server has renewed: wait
    // past that judgement (Redis's own clock decides the expiry; no fake clock can stand in).
    await new Promise((r) => setTimeout(r, 2 * leaseMs));
    ann.send({ type: 'say', text: 'still here' });
    expect(await bob.line()).to.include({ from: 'ann', text: 'still here' });
    expect(ann.closed || bob.closed, 'nobody taken offline').to.equal(false);
    for (const n of [n1!, n2!]) {
      const logs = n.logs.join('\n');
      expect(logs).to.match(/lost Redis at .* \(no answer for \d+ s\)/).and.to.match(/is back; chat resumed/);
      expect(logs, 'no server judged gone').to.not.match(/is gone|took this one/);
    }
  });

  it('shows the whole cluster on the console: online users with their server, and stats', async () => {
    const [n1, n2] = cluster.nodes;
    await n1!.login('ann');
    await n2!.login('bob');
    await waitUntil(() => n1!.server.room.count === 2, 'both users known on n1');
    const online = consoleCommand(n1!.server, 'online')!;
    expect(online).to.match(/^Online users \(2\):/);
    expect(online).to.match(/ bob: on node2/);
    expect(online).to.match(/ ann: last heartbeat/);
    expect(consoleCommand(n2!.server, 'stats')).to.match(/Active users: 2 .*Servers in the cluster: 2/);
  });

  it("mutes a user from another server's console, and the user's own server says who muted them", async () => {
    const [n1, n2] = cluster.nodes;
    const bob = await n2!.login('bob');
    await waitUntil(() => n1!.server.room.find('bob') !== undefined, 'bob known on n1');
    expect(consoleCommand(n1!.server, 'mute bob 60')).to.equal('Muted bob for 60 s');
    expect(await bob.notice('muted')).to.deep.include({ message: 'The operator muted you for 60 s' });
    bob.send({ type: 'say', text: 'hello?' });
    // The mute's end is reckoned on n1's clock and read on n2's; the two agree only to a few
    // milliseconds (each aligned to Redis's), and the seconds left are rounded up, never down.
    const refused = await bob.error();
    expect(refused.code).to.equal('MUTED');
    expect(refused.message).to.match(/^the operator muted you; try again in 6[01] s$/);
  });
});
