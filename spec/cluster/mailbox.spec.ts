/**
 * Offline messages on a cluster (server/cluster/mailbox.ts), real servers on a real Redis: only
 * the server a user logs in on hands their kept messages over, and every server drops from its
 * copy just what that server's connection took (or, with receipts, what its client confirmed), as
 * the shared log says.
 */
import { expect } from 'chai';
import { createClient } from 'redis';
import type { ServerMessage } from '../../common/protocol.js';
import { SharedMailbox } from '../../server/cluster/mailbox.js';
import { KEYS } from '../../server/cluster/redis.js';
import { memoryLogger } from '../../server/logger.js';
import { needRedis, startCluster, type Cluster } from '../support/cluster.js';
import { FakeClock } from '../support/fake-clock.js';
import { TestClient, type Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

/** Near --max-body (64 KiB): the biggest lines there are. */
const BIG = 60_000;
/** Kept messages: 24 MB, far over --max-output (1 MiB) and what the kernel buffers on loopback. */
const KEPT = 400;

const offline = (c: TestClient) => c.all('msg').filter((m) => m.offline === true);
const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const delivered = (logs: string[], user: string) => logs.filter((l) => l.includes(`Offline messages: `) && l.includes(` delivered to ${user}`));

describe('cluster: offline messages', function () {
  this.timeout(60_000);
  let cluster: Cluster;
  const clients: TestClient[] = [];

  needRedis();

  /** carl has an account and is offline; ann, on `node`, leaves him `texts`, each stored before the next. */
  const keepForCarl = async (node: Running, texts: string[]) => {
    const carl = await node.login('carl');
    carl.send({ type: 'logout' });
    await carl.whenClosed();
    const ann = await node.login('ann');
    for (const text of texts) {
      ann.send({ type: 'dm', to: 'carl', text });
      await ann.notice('offline_stored');
    }
  };

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await cluster.stop();
  });

  it('hands the rest of a delivery cut off on one server to a login on another, none twice', async () => {
    cluster = await startCluster(1, { offlineMax: KEPT });
    const dave = await cluster.nodes[0]!.login('dave');
    dave.send({ type: 'logout' });
    await dave.whenClosed();
    // KEPT big messages (ids 1…KEPT, from 16 senders) wait for dave in Redis, read by servers joining now.
    const redis = createClient({ url: cluster.redis.url });
    await redis.connect();
    const now = Date.now();
    const rows = ids(KEPT).map((id) => JSON.stringify({ id, ts: now, from: `s${id % 16}`, to: 'dave', text: `#${id} ${'k'.repeat(BIG)}` }));
    await redis.rPush(KEYS.mail('dave'), rows);
    await redis.quit();
    const n1 = await cluster.add({ offlineMax: KEPT });
    const n2 = await cluster.add({ offlineMax: KEPT });

    const first = await TestClient.connect(n1.port);
    clients.push(first);
    first.send({ type: 'login', user: 'dave', password: 'pw' });
    await first.next((m) => m.type === 'msg' && m.id === 20, 30_000);
    first.close();
    await waitUntil(() => n2.server.room.find('dave')?.state === 'detached', 'the drop applied on n2');
    const second = await TestClient.login(n2.port, 'dave');
    clients.push(second);
    await second.next((m) => m.type === 'msg' && m.id === KEPT, 30_000);
    const rest = offline(second).map((m) => m.id);
    expect(offline(first).map((m) => m.id).slice(0, 20)).to.deep.equal(ids(20));
    // What n1's connection took is gone from every server's copy; from the first batch it had
    // not taken, all come on n2 (what its socket had taken but not yet passed on is lost with it).
    expect(rest[0], 'the batches n1 handed over are not sent again').to.be.above(16);
    expect(rest).to.deep.equal(ids(KEPT).slice(rest[0]! - 1));
    await second.sync();
    second.send({ type: 'logout' });
    await second.whenClosed();
    const third = await TestClient.login(n1.port, 'dave');
    clients.push(third);
    await third.sync();
    expect(offline(third), 'each handed over once, on any server').to.deep.equal([]);
    // Nor are they in Redis, for a server restarted to read again (n2 removed them before its logout went in).
    const after = createClient({ url: cluster.redis.url });
    await after.connect();
    expect(await after.lLen(KEYS.mail('dave'))).to.equal(0);
    await after.quit();
  });

  it('with receipts: a batch cut off on one server before its receipt comes on another; confirmed there, it is gone everywhere', async () => {
    cluster = await startCluster(2);
    const [n1, n2] = cluster.nodes;
    await keepForCarl(n1!, ['one', 'two']);
    const batchEnd = (c: TestClient) => c.next<ServerMessage<'msg'>>((m) => m.type === 'msg' && m.offline === true && (m.receipt === true || m.text === 'two'));
    const first = await n1!.login('carl', 'pw', ['receipts']);
    await batchEnd(first);
    first.close();
    await waitUntil(() => n2!.server.room.find('carl')?.state === 'detached', 'the drop applied on n2');
    const second = await n2!.login('carl', 'pw', ['receipts']);
    const end = await batchEnd(second);
    expect(offline(second).map((m) => m.text), 'n1 posted nothing taken: n2 hands them').to.deep.equal(['one', 'two']);
    second.send({ type: 'received', id: end.id });
    await waitUntil(() => n2!.logs.includes('INFO Offline messages: 2 delivered to carl'), 'the receipt applied on n2');
    second.send({ type: 'logout' });
    await second.whenClosed();
    const third = await n1!.login('carl', 'pw', ['receipts']);
    await third.sync();
    expect(offline(third), 'n1 dropped what n2 said was received').to.deep.equal([]);
  });

  it('removes from Redis what a connection took, from the head of the list, a message overtaken with the batch after', async () => {
    cluster = await startCluster(0);
    const redis = createClient({ url: cluster.redis.url });
    await redis.connect();
    try {
      const clock = new FakeClock();
      const row = (id: number) => JSON.stringify({ id, ts: clock.now(), from: 'ann', to: 'dave', text: `#${id}` });
      // As two servers keeping at one instant can leave them: 3 was pushed before 2.
      await redis.rPush(KEYS.mail('dave'), [1, 3, 2, 4].map(row));
      const box = await SharedMailbox.open(redis, { days: 7, clock, log: memoryLogger(), mine: () => true, serves: () => true, taken: async () => {}, unkept: async () => {} });
      const left = async () => (await redis.lRange(KEYS.mail('dave'), 0, -1)).map((r) => (JSON.parse(r) as { id: number }).id);
      expect(box.peek('dave').map((m) => m.id)).to.deep.equal([1, 2, 3, 4]);
      // One connection: each removal is done before the read that follows it.
      box.taken('dave', 2);
      expect(await left()).to.deep.equal([3, 2, 4]);
      box.taken('dave', 4);
      expect(await left()).to.deep.equal([]);
    } finally {
      await redis.quit();
    }
  });

  it('a message Redis would not store is refused (MAILBOX_FAILED, naming carl) and dropped from every copy: a second try arrives once', async () => {
    cluster = await startCluster(2);
    const [n1, n2] = cluster.nodes;
    const carl = await n2!.login('carl');
    carl.send({ type: 'logout' });
    await carl.whenClosed();
    // A key of another type where carl's list goes: Redis refuses the push (WRONGTYPE).
    const redis = createClient({ url: cluster.redis.url });
    await redis.connect();
    try {
      await redis.set(KEYS.mail('carl'), 'not a list');
      const ann = await n1!.login('ann');
      ann.send({ type: 'dm', to: 'carl', text: 'first try' });
      expect(await ann.error()).to.deep.include({ code: 'MAILBOX_FAILED', user: 'carl' });
      expect(n1!.logs.some((l) => l.startsWith('ERROR Offline messages: one from ann for carl not kept: could not store it in Redis: WRONGTYPE'))).to.equal(true);
      await redis.del(KEYS.mail('carl'));
      ann.send({ type: 'dm', to: 'carl', text: 'second try' });
      await ann.notice('offline_stored');
      // carl comes back on n2, which applied the first try too: only the second is handed over.
      const back = await n2!.login('carl');
      expect((await back.line()).text).to.equal('second try');
      await back.sync();
      expect(offline(back).map((m) => m.text)).to.deep.equal(['second try']);
    } finally {
      await redis.quit();
    }
  });

  it('hands kept messages over only on the server the user logs in on; the others forget them as the log says', async () => {
    cluster = await startCluster(2);
    const [n1, n2] = cluster.nodes;
    const bob = await n2!.login('bob');
    await keepForCarl(n1!, ['one', 'two']);
    const back = await n1!.login('carl');
    expect(await back.notice('offline_delivered')).to.include({ message: '2 messages came while you were away:' });
    expect((await back.line()).text).to.equal('one');
    expect((await back.line()).text).to.equal('two');
    // A line carl says after: once bob has it, n2 has applied carl's login (and what came before).
    back.send({ type: 'say', text: 'thanks' });
    await bob.next((m) => m.type === 'msg' && m.text === 'thanks');
    await back.sync();
    expect(delivered(n1!.logs, 'carl')).to.deep.equal(['INFO Offline messages: 2 delivered to carl']);
    expect(delivered(n2!.logs, 'carl'), 'n2 walked no mailbox for a user it does not serve').to.deep.equal([]);
    // n2's copy dropped what n1 handed over: a login there gets nothing again.
    back.send({ type: 'logout' });
    await back.whenClosed();
    const there = await n2!.login('carl');
    await there.sync();
    expect(offline(there)).to.deep.equal([]);
  });
});
