/**
 * Several servers, one chat: three real servers on one real redis-server.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { BUNDLE_KINDS, KEY_BUNDLE_BYTES, SEAL_OVERHEAD, type ServerMessage } from '../../common/protocol.js';
import { needRedis, startCluster, type Cluster } from '../support/cluster.js';
import { waitUntil } from '../support/wait.js';

/** Why a promise was refused (it must be). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return String(e);
  }
  throw new Error('expected a refusal');
}

describe('cluster: three servers on one Redis', function () {
  this.timeout(30_000);
  let cluster: Cluster;

  needRedis();

  beforeEach(async () => {
    cluster = await startCluster(3, { allowGuests: true, rateCount: 1000 });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  it('gives group lines one order on every screen, whoever sends them on whichever server', async () => {
    const [n1, n2, n3] = cluster.nodes as [NonNullable<(typeof cluster.nodes)[0]>, NonNullable<(typeof cluster.nodes)[0]>, NonNullable<(typeof cluster.nodes)[0]>];
    const senders = [await n1.login('ann'), await n2.login('bob'), await n3.login('cid')];
    const watchers = [await n1.login('w1'), await n2.login('w2'), await n3.login('w3')];
    const N = 30;
    const seen = watchers.map((w) => {
      const lines: string[] = [];
      return new Promise<string[]>((resolve) => {
        const take = async () => {
          while (lines.length < N * senders.length) {
            const m = await w.next((x) => x.type === 'msg' && x.scope === 'group', 10_000);
            if (m.type === 'msg') lines.push(`${m.id}:${m.from}:${m.text}`);
          }
          resolve(lines);
        };
        void take();
      });
    });
    for (let i = 0; i < N; i++) for (const [k, s] of senders.entries()) s.send({ type: 'say', text: `line ${i} from ${k}` });
    const orders = await Promise.all(seen);
    expect(orders[0]).to.have.length(N * 3);
    expect(orders[1]).to.deep.equal(orders[0]);
    expect(orders[2]).to.deep.equal(orders[0]);
    const ids = orders[0]!.map((l) => Number(l.split(':')[0]));
    expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    // Each sender's own lines keep the order they were typed in.
    for (const k of [0, 1, 2]) {
      const mine = orders[0]!.filter((l) => l.endsWith(` from ${k}`)).map((l) => Number(/line (\d+)/.exec(l)![1]));
      expect(mine).to.deep.equal([...Array(N).keys()]);
    }
  });

  it('each server logs its join with the users and servers it found, in words that count right', async () => {
    const joined = (n: (typeof cluster.nodes)[0]) => n!.logs.find((l) => l.includes('Cluster: joined as'))!.replace(/^.* \(/, '(');
    expect(cluster.nodes.map(joined)).to.deep.equal([
      '(0 users online in the cluster, 0 other servers)',
      '(0 users online in the cluster, 1 other server)',
      '(0 users online in the cluster, 2 other servers)',
    ]);
    await cluster.nodes[0]!.login('ann');
    expect(joined(await cluster.add())).to.equal('(1 user online in the cluster, 3 other servers)');
  });

  it('delivers /msg between servers, and /who shows everyone on every server', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n2!.login('bob');
    ann.send({ type: 'dm', to: 'bob', text: 'psst' });
    const got = await bob.next((m) => m.type === 'msg' && m.scope === 'private');
    expect(got).to.include({ from: 'ann', to: 'bob', text: 'psst' });
    const who = await bob.who();
    expect(who.online).to.include.members(['ann', 'bob']);
    expect((await ann.who()).online).to.deep.equal(who.online);
  });
});

describe('cluster: private sessions, names and limits across servers', function () {
  this.timeout(30_000);
  let cluster: Cluster;

  beforeEach(async () => {
    const debug = { logLevels: { default: 'info', dispatch: 'debug' } } as const;
    cluster = await startCluster(2, { allowGuests: true, pmTimeout: 1, rateCount: 3, rateWindow: 60, maxFailures: 2, ...debug });
  });

  afterEach(async () => {
    await cluster.stop();
  });

  it('runs the whole @PM story between users on two servers: ask, Y, private lines, EXIT PM', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n2!.login('bob');
    ann.send({ type: 'pm_request', to: 'bob' });
    expect(await bob.notice('pm_invite')).to.include({ user: 'ann' });
    await ann.notice('pm_sent');
    bob.send({ type: 'pm_answer', accept: true });
    expect(await ann.notice('pm_started')).to.include({ user: 'bob' });
    expect(await bob.notice('pm_started')).to.include({ user: 'ann' });
    ann.send({ type: 'say', text: 'just us' });
    expect(await bob.line()).to.include({ scope: 'private', from: 'ann', to: 'bob', text: 'just us' });
    bob.send({ type: 'pm_exit' });
    expect(await ann.notice('pm_ended')).to.include({ user: 'bob' });
    await bob.notice('pm_ended');
  });

  it('tells an asker on another server that the one asked is away, and refuses a request to no account or to an offline one in the words one server uses', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n2!.login('bob');
    const cid = await n2!.login('cid');
    bob.send({ type: 'away', message: 'at lunch' });
    await bob.notice('away');
    ann.send({ type: 'pm_request', to: 'bob' });
    await ann.notice('pm_sent');
    expect(await ann.notice('away')).to.include({ user: 'bob', message: 'bob is away: at lunch' });
    await bob.notice('pm_invite');
    cid.send({ type: 'logout' });
    await cid.whenClosed();
    ann.send({ type: 'pm_request', to: 'zed' });
    expect(await ann.error()).to.deep.include({ code: 'NO_SUCH_USER', message: 'there is no account named zed', user: 'zed' });
    ann.send({ type: 'pm_request', to: 'cid' });
    expect(await ann.error()).to.deep.include({ code: 'NO_SUCH_USER', message: 'cid is not online', user: 'cid' });
  });

  it('refuses a private chat across servers with N, and expires an unanswered one for both sides', async () => {
    const [n1, n2] = cluster.nodes;
    const ann = await n1!.login('ann');
    const bob = await n2!.login('bob');
    ann.send({ type: 'pm_request', to: 'bob' });
    await bob.notice('pm_invite');
    bob.send({ type: 'pm_answer', accept: false });
    expect(await ann.notice('pm_refused')).to.include({ user: 'bob' });
    ann.send({ type: 'pm_request', to: 'bob' });
    await bob.notice('pm_invite');
    // --pm-timeout 1: the asker's server decides, every server applies it.
    expect(await ann.next((m) => m.type === 'notice' && m.event === 'pm_expired', 5000)).to.include({ user: 'bob' });
    expect(await bob.next((m) => m.type === 'notice' && m.event === 'pm_expired', 5000)).to.include({ user: 'ann' });
  });

  it('creates a name registered on two servers at once only once: the other is told NAME_IN_USE', async () => {
    const [n1, n2] = cluster.nodes;
    const [a, b] = await Promise.allSettled([n1!.login('zed', 'first'), n2!.login('zed', 'second')]);
    const won = [a, b].filter((r) => r.status === 'fulfilled');
    const lost = [a, b].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).to.have.length(1);
    expect(lost).to.have.length(1);
    expect(String(lost[0]!.reason), String(lost[0]!.reason)).to.match(/NAME_IN_USE/);
    // One account in Redis, with the winner's password: the loser's password does not log in.
    const password = won[0] === a ? 'second' : 'first';
    (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof n1.login>>>).value.send({ type: 'logout' });
    expect(await refusal(n2!.login('zed', password))).to.match(/BAD_PASSWORD/);
  });

  it('has a name online once in the whole cluster, and numbers guests uniquely across servers', async () => {
    const [n1, n2] = cluster.nodes;
    await n1!.login('ann', 'pw');
    expect(await refusal(n2!.login('ann', 'pw'))).to.match(/ALREADY_LOGGED_IN/);
    const guests = await Promise.all([n1!.login('Kim', ''), n2!.login('Kim', ''), n1!.login('Kim', ''), n2!.login('Kim', '')]);
    const names = guests.map((g) => g.me.user);
    expect(new Set(names).size).to.equal(4);
    expect(names).to.include('Kim');
  });

  it('holds the flood limit per address across servers, and the login throttle per address', async () => {
    const [n1, n2] = cluster.nodes;
    // Two guests from one address, on two servers: one limit (--rate-count 3).
    const g1 = await n1!.login('g1', '');
    const g2 = await n2!.login('g2', '');
    for (let i = 0; i < 3; i++) g1.send({ type: 'say', text: `one ${i}` });
    for (let i = 0; i < 3; i++) await g2.next((m) => m.type === 'msg' && m.from === 'g1');
    g2.send({ type: 'say', text: 'one too many' });
    expect(await g2.notice('muted')).to.have.property('message');
    // --max-failures 2: two wrong passwords on one server, the third try on the other waits.
    const owner = await n1!.login('owner', 'right');
    for (let i = 0; i < 2; i++) expect(await refusal(n1!.login('owner', 'wrong'))).to.match(/BAD_PASSWORD|ALREADY/);
    // The failures travel in the cluster's log, in order with what n1 posts after them: once g2
    // (on n2) has a line the owner said on n1 after the failures, n2 knows of them. (Within those few
    // milliseconds a guesser could get an attempt more on another server; README, Security.)
    owner.send({ type: 'say', text: 'after the failures' });
    await g2.next((m) => m.type === 'msg' && m.text === 'after the failures');
    expect(await refusal(n2!.login('owner', 'wrong'))).to.match(/LOGIN_THROTTLED/);
  });

  it('counts a /history page against the flood limit once, on every server, and ends a refused one with its notice', async () => {
    const [n1, n2] = cluster.nodes;
    // Two guests from one address, on two servers: one limit (--rate-count 3).
    const g1 = await n1!.login('g1', '');
    const g2 = await n2!.login('g2', '');
    for (let i = 0; i < 2; i++) {
      g1.send({ type: 'history', count: 1 });
      expect((await g1.notice('history')).message).to.match(/^Nothing older/);
    }
    // Two pages on n1 and this line on n2 are three: the line goes out (pages counted twice would mute here).
    g2.send({ type: 'say', text: 'third' });
    await g1.next((m) => m.type === 'msg' && m.text === 'third');
    // One too many, counted where applied: muted, and the page ends with why.
    g1.send({ type: 'history', count: 1 });
    expect(await g1.notice('muted')).to.have.property('message');
    expect((await g1.notice('history')).message).to.equal('No history while you are muted: /history again once you can talk.');
    // Known on n2 too, from the log.
    g2.send({ type: 'say', text: 'fourth' });
    expect(await g2.error()).to.include({ code: 'MUTED' });
    const handled = n1!.logs.filter((l) => l.startsWith('DEBUG Handled history')).map((l) => l.replace(/^.*: /, ''));
    expect(handled).to.deep.equal(['done', 'done', 'refused (MUTED)']);
  });

  it('counts file offers against the flood limit, as one server does, though they never go into the shared log', async () => {
    const [n1, n2] = cluster.nodes;
    // Two guests from one address, on two servers: one limit (--rate-count 3); the receiver is elsewhere.
    const g1 = await n1!.login('g1', '', ['files']);
    const g2 = await n2!.login('g2', '');
    await n1!.login('rita', 'pw', ['files']);
    const sha256 = Buffer.alloc(32, 7).toString('base64');
    const offer = (id: string) => g1.request({ type: 'file_offer', to: 'rita', id, size: 10, name: 'a.txt', sha256 }, (m) => m.type === 'error' || (m.type === 'transfer' && m.id === id));
    for (const id of ['f1', 'f2', 'f3']) {
      expect(await offer(id)).to.include({ type: 'transfer', event: 'offered' });
      g1.send({ type: 'file_cancel', id });
      await g1.next((m) => m.type === 'transfer' && m.id === id && m.event === 'cancelled');
    }
    // Three offers are three messages: the next line is one too many, on either server.
    g1.send({ type: 'say', text: 'fourth' });
    expect(await g1.notice('muted')).to.have.property('message');
    g2.send({ type: 'say', text: 'fifth' });
    expect(await g2.error()).to.include({ code: 'MUTED' });
    // The line refused where it was counted (the shared log) is logged as refused, not done.
    await g1.sync();
    const said = n1!.logs.filter((l) => l.startsWith('DEBUG Handled say')).map((l) => l.replace(/^.*: /, ''));
    expect(said).to.deep.equal(['refused (MUTED)']);
    // An offer while muted is refused at once, naming it, as every refusal of an offer does.
    expect(await offer('f4')).to.deep.include({ type: 'error', code: 'MUTED', id: 'f4' });
  });

  it('an offer whose count starts the mute was answered already: it gets the mute\'s notice, and no refusal a chat line would be taken for', async () => {
    const [n1, n2] = cluster.nodes;
    const g1 = await n1!.login('g1', '', ['files']);
    await n2!.login('rita', 'pw', ['files']);
    for (let i = 0; i < 3; i++) g1.send({ type: 'say', text: `line ${i}` });
    for (let i = 0; i < 3; i++) await g1.next((m) => m.type === 'msg' && m.text === `line ${i}`);
    const sha256 = Buffer.alloc(32, 7).toString('base64');
    g1.send({ type: 'file_offer', to: 'rita', id: 'f1', size: 10, name: 'a.txt', sha256 });
    // The fourth message: not known as over the limit when it was made, so it goes; its count mutes
    // (the notice can come before "offered", which waits on rita's server).
    const got = (is: (m: ServerMessage) => boolean) => g1.received.some(is);
    await waitUntil(() => got((m) => m.type === 'transfer' && m.id === 'f1' && m.event === 'offered'), 'the offer offered');
    await waitUntil(() => got((m) => m.type === 'notice' && m.event === 'muted'), 'the mute\'s notice');
    await g1.sync();
    expect(g1.all('error'), 'one answer for the offer (offered): no MUTED after it').to.deep.equal([]);
  });

  it('names the recipient of a private message or request refused where it is counted (a MUTED from the shared log)', async () => {
    const [n1, n2] = cluster.nodes;
    const g1 = await n1!.login('g1', '');
    await n2!.login('rita', 'pw');
    for (let i = 0; i < 3; i++) g1.send({ type: 'say', text: `line ${i}` });
    // Sent before the says are counted: refused where the log applies it, which names rita as the dispatcher would.
    g1.send({ type: 'dm', to: 'Rita', text: 'one too many' });
    expect(await g1.error()).to.deep.include({ code: 'MUTED', re: 'dm', user: 'Rita' });
    g1.send({ type: 'pm_request', to: 'rita', plain: true });
    expect(await g1.error()).to.deep.include({ code: 'MUTED', re: 'pm_request', user: 'rita' });
    g1.send({ type: 'say', text: 'muted' });
    const said = await g1.error();
    expect(said).to.include({ code: 'MUTED', re: 'say' });
    expect(said).to.not.have.property('user');
  });

  it('names the recipient of a private chat request refused where it is counted, as of a private message', async () => {
    const [n1, n2] = cluster.nodes;
    const g1 = await n1!.login('g1', '');
    await n2!.login('rita', 'pw');
    for (let i = 0; i < 3; i++) g1.send({ type: 'say', text: `line ${i}` });
    // Sent before the says are counted: the fourth, refused where the log applies it.
    g1.send({ type: 'pm_request', to: 'Rita', plain: true });
    expect(await g1.error()).to.deep.include({ code: 'MUTED', re: 'pm_request', user: 'Rita' });
  });

  it('relays an encrypted private session between servers (keys, sealed lines, new keys), refuses one to a client that cannot encrypt', async () => {
    const [n1, n2] = cluster.nodes;
    const both = ['e2e', 'files'] as const;
    const ann = await n1!.login('ann', 'pw', [...both]);
    const bob = await n2!.login('bob', 'pw', [...both]);
    const old = await n2!.login('old', 'pw'); // an older client, or IRC: says it can do neither
    // A key bundle: its first byte says what it is for; the rest the server never reads.
    const bundle = (kind: number) => Buffer.concat([Buffer.from([kind]), randomBytes(KEY_BUNDLE_BYTES - 1)]).toString('base64');
    // What bob's client can do is known on ann's server too: judged where the request is applied.
    ann.send({ type: 'pm_request', to: 'old', key: bundle(BUNDLE_KINDS.offer) });
    expect(await ann.next((m) => m.type === 'error')).to.include({ code: 'E2E_UNSUPPORTED' });
    const offer = bundle(BUNDLE_KINDS.offer);
    ann.send({ type: 'pm_request', to: 'bob', key: offer });
    expect(await bob.notice('pm_invite')).to.include({ user: 'ann', key: offer });
    const answer = bundle(BUNDLE_KINDS.answer);
    bob.send({ type: 'pm_answer', accept: true, key: answer });
    expect(await ann.notice('pm_started')).to.include({ user: 'bob', key: answer });
    const sealed = randomBytes(SEAL_OVERHEAD + 20).toString('base64');
    ann.send({ type: 'say', text: sealed, sealed: true });
    expect(await bob.line()).to.include({ scope: 'private', from: 'ann', text: sealed, sealed: true });
    const rekey = bundle(BUNDLE_KINDS.rekey);
    bob.send({ type: 'pm_rekey', key: rekey });
    expect(await ann.notice('pm_rekey')).to.include({ user: 'bob', key: rekey });
    old.close();
  });
});
