/**
 * A server that joins a cluster late applies what happened before it started (the log since the
 * last checkpoint): none of it goes into its log as news, one line says what it caught up with,
 * and what happens once it is up is logged as on any server.
 */
import { expect } from 'chai';
import { Quiet } from '../../server/cluster/quiet.js';
import { connect, KEYS } from '../../server/cluster/redis.js';
import { memoryLogger } from '../../server/logger.js';
import { needRedis, startCluster, type Cluster } from '../support/cluster.js';
import { waitUntil } from '../support/wait.js';

describe('cluster: a server catching up', function () {
  this.timeout(30_000);
  let cluster: Cluster;

  needRedis();

  beforeEach(async () => {
    cluster = await startCluster(2, { rateCount: 100 });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  it('logs nothing of what happened before it started, one line for the catch-up, and what happens after as usual', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n1!.login('bob');
    await n2!.login('robert');
    // robert's server stops: on n1, robert went offline with a WARN.
    await n2!.stop();
    cluster.nodes.splice(1, 1);
    await waitUntil(() => !n1!.server.room.find('robert'), 'robert offline on n1');
    expect(n1!.logs).to.include('WARN robert went offline: their server is gone');
    ann.send({ type: 'say', text: 'an old line' });
    ann.send({ type: 'dm', to: 'bob', text: 'an old whisper' });
    await bob.line();
    await bob.line();
    // The late server replays the whole log, not a checkpoint's state: any checkpoint n1 wrote
    // was written before ann's lines came back (one Redis connection keeps its order), and the
    // next is a minute away.
    const redis = await connect(cluster.redis.url);
    await redis.del(KEYS.checkpoint);
    await redis.quit();

    // Debug lines kept, to see that the old events were applied, quietly.
    const n3 = await cluster.add({ nodeId: 'late', logLevels: { default: 'info', chat: 'debug' } });
    expect(n3.server.room.online()).to.deep.equal(['ann', 'bob']);
    const old = n3.logs.filter((l) => !l.startsWith('DEBUG') && /\b(ann|bob|robert|node1|node2)\b|^(WARN|ERROR)/.test(l));
    expect(old).to.deep.equal([]);
    expect(n3.logs).to.include.members(['DEBUG (caught up) robert went offline: their server is gone', 'DEBUG (caught up) Group message from ann: "an old line"']);
    const caughtUp = n3.logs.filter((l) => l.includes('Cluster: caught up'));
    expect(caughtUp).to.have.length(1);
    expect(caughtUp[0]).to.match(/^INFO Cluster: caught up with \d+ events from before this start \(not logged one by one\)$/);

    const cid = await n3.login('cid');
    ann.send({ type: 'say', text: 'a new line' });
    await cid.next((m) => m.type === 'msg' && m.text === 'a new line');
    expect(n3.logs).to.include.members(['INFO Group message from ann: "a new line"']);
    expect(n3.logs.some((l) => /^INFO User cid logged in/.test(l))).to.equal(true);
  });
});

describe('Quiet', () => {
  it('turns info and warn into debug lines while on, keeps errors, and logs as it is when off', () => {
    const quiet = new Quiet();
    const lines = memoryLogger({ debug: true });
    const log = quiet.wrap(lines).for('chat');
    quiet.on = true;
    log.info('ann logged in');
    log.warn('bob went offline');
    log.error('broken');
    quiet.on = false;
    log.info('cid logged in');
    expect(lines.lines).to.deep.equal(['DEBUG (caught up) ann logged in', 'DEBUG (caught up) bob went offline', 'ERROR broken', 'INFO cid logged in']);
  });

  it('drops the old lines when debug is off', () => {
    const quiet = new Quiet();
    const lines = memoryLogger();
    quiet.on = true;
    quiet.wrap(lines).warn('bob went offline');
    expect(lines.lines).to.deep.equal([]);
  });
});
