/**
 * Files between users of two servers of a cluster: alice's client on one server, bob's on
 * another, a real redis-server between them, real TCP and the real client code (ChatSession with
 * a recording screen), real files in temporary folders. The chunks go from server to server over
 * Redis pub/sub, never into the shared log.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { makeClientConfig } from '../../client/config.js';
import { connect as realConnect, type Endpoint } from '../../client/connection.js';
import { openIdentity } from '../../client/secure/identity.js';
import { KnownKeys } from '../../client/secure/known-keys.js';
import { ChatSession } from '../../client/session.js';
import { encodeMessage } from '../../common/codec.js';
import type { ClientMessage, ServerMessage } from '../../common/protocol.js';
import { MAX_IN_TURN, MAX_OFFERS_WAITING } from '../../server/chat/transfers.js';
import { KEYS } from '../../server/cluster/redis.js';
import { createMetrics } from '../../server/metrics.js';
import { eventually } from '../client/client-process.js';
import { FakeUi } from '../client/fake-ui.js';
import { needRedis, startCluster, type Cluster } from '../support/cluster.js';
import type { Running } from '../support/harness.js';
import { WAIT_MS } from '../support/wait.js';

const MiB = 1024 * 1024;

interface User {
  ui: FakeUi;
  session: ChatSession;
  exit: Promise<number>;
  downloads: string;
  type(line: string): void;
}

describe('cluster: files between users of two servers', function () {
  this.timeout(30_000);
  let cluster: Cluster;
  const users: User[] = [];
  const folders: string[] = [];

  needRedis();

  afterEach(async () => {
    for (const u of users.splice(0)) {
      u.ui.chat?.end();
      await Promise.race([u.exit, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await cluster?.stop();
    folders.splice(0).forEach((f) => rmSync(f, { recursive: true, force: true }));
  });

  function folder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-files-'));
    folders.push(dir);
    return dir;
  }

  /** `name`'s client, logged in to `node`. */
  async function user(name: string, node: Running): Promise<User> {
    const home = folder();
    const ui = new FakeUi();
    const downloads = join(home, 'downloads');
    const identityFile = join(home, 'tinychat', 'identity');
    const config = makeClientConfig({ port: node.port, user: name, password: 'pw', downloads, identityFile });
    const secure = { identity: openIdentity(identityFile), known: KnownKeys.open(join(home, 'tinychat', 'known-keys.json')) };
    const session = new ChatSession(config, ui, { secure, connect: (ep: Endpoint) => realConnect(ep) });
    const exit = session.run();
    await ui.waitFor(/Login success!/);
    const u = { ui, session, exit, downloads, type: (line: string) => ui.chat!.line(line) };
    users.push(u);
    return u;
  }

  /** A file of `size` random bytes; its path and SHA-256. */
  function file(name: string, size: number): { path: string; sha256: string; bytes: Buffer } {
    const bytes = randomBytes(size);
    const path = join(folder(), name);
    writeFileSync(path, bytes);
    return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
  }

  /** alice on the first server, bob on the second. */
  async function twoServers(config: Parameters<typeof startCluster>[1] = {}): Promise<{ n1: Running; n2: Running; alice: User; bob: User }> {
    cluster = await startCluster(2, { redisEphemeral: true, ...config });
    const [n1, n2] = cluster.nodes as [Running, Running];
    return { n1, n2, alice: await user('alice', n1), bob: await user('bob', n2) };
  }

  /** alice (first server) sending bob (second) half.bin, 2 MiB at 256 KiB/s: some chunks are in, most are to come. */
  async function halfSent(config: Parameters<typeof startCluster>[1] = {}): ReturnType<typeof twoServers> {
    const both = await twoServers({ fileRate: 256 * 1024, ...config });
    const f = file('half.bin', 2 * MiB);
    both.alice.type(`/send bob ${f.path}`);
    await both.bob.ui.waitFor(/alice wants to send you half\.bin/);
    both.bob.type('y');
    await eventually(() => both.bob.ui.bars.some((b) => /^update \S+ [1-9]\d*$/.test(b)), WAIT_MS, 'some chunks received');
    return both;
  }

  /** Every entry of the shared log, as text. */
  async function sharedLog(): Promise<string> {
    const redis = createClient({ url: cluster.redis.url });
    await redis.connect();
    try {
      return JSON.stringify(await redis.sendCommand(['XRANGE', KEYS.events, '-', '+']));
    } finally {
      await redis.quit();
    }
  }

  it('sends a 3 MiB file from a user of one server to a user of another: byte-identical (SHA-256), never through the shared log', async () => {
    const { n1, n2, alice, bob } = await twoServers({ fileRate: 16 * MiB });
    const f = file('report.bin', 3 * MiB);
    alice.type(`/send bob ${f.path}`);
    await alice.ui.waitFor(/Offered report\.bin \(3\.0 MiB\) to bob; waiting for the answer \(#1/);
    await bob.ui.waitFor(/alice wants to send you report\.bin \(3\.0 MiB\) \(Y\/N\)\?  \(#1\)/);
    bob.type('y');
    await bob.ui.waitFor(/Saved report\.bin from alice as .*report\.bin \(3\.0 MiB, size and SHA-256 checked\)\./, 20_000);
    await alice.ui.waitFor(/Sent report\.bin \(3\.0 MiB\) to bob: received and checked\./);
    const got = readFileSync(join(bob.downloads, 'report.bin'));
    expect(createHash('sha256').update(got).digest('hex')).to.equal(f.sha256);
    // Server to server over pub/sub: nothing of the file in the log every server reads.
    const relayed = async (node: Running) => {
      const metrics = createMetrics(node.server, { processMetrics: false });
      try {
        return (await metrics.scrape()).text;
      } finally {
        metrics.close();
      }
    };
    expect(await relayed(n1)).to.include(`tinychat_file_relay_bytes_total{direction="sent"} ${3 * MiB}`);
    expect(await relayed(n2)).to.include(`tinychat_file_relay_bytes_total{direction="received"} ${3 * MiB}`);
    const log = await sharedLog();
    expect(log.length).to.be.below(64 * 1024);
    expect(log).to.not.include(f.bytes.subarray(0, 30).toString('base64'));
    // Counted once, by the sender's server.
    expect(n1.server.files.outcomes).to.deep.include({ offered: 1, done: 1 });
    expect(n2.server.files.outcomes).to.deep.include({ offered: 0, done: 0 });
    expect(n1.server.files.size + n2.server.files.size).to.equal(0);
    expect(n1.logs.join('\n')).to.match(/File transfer alice\/\S+ from alice to bob completed \(3145728 bytes in/);
  });

  it('tells the sender of a refusal on the other server, and keeps nothing', async () => {
    const { alice, bob } = await twoServers();
    const f = file('unwanted.zip', 2000);
    alice.type(`/send bob ${f.path}`);
    await bob.ui.waitFor(/alice wants to send you unwanted\.zip/);
    bob.type('n');
    await bob.ui.waitFor(/You refused the file unwanted\.zip from alice$/);
    await alice.ui.waitFor(/bob refused unwanted\.zip \(2 KiB\)\./);
    expect(readdirSync(join(bob.downloads, '..'))).to.not.include('downloads');
  });

  it('stops on both servers when the sender cancels mid-transfer, and the receiver keeps nothing', async () => {
    const { n1, n2, alice, bob } = await halfSent();
    alice.type('/cancel #1');
    await bob.ui.waitFor(/the file half\.bin from alice did not come: alice cancelled the file transfer/);
    await alice.ui.waitFor(/Cancelled sending half\.bin to bob\./);
    await eventually(() => readdirSync(bob.downloads).length === 0, WAIT_MS, 'the partial file removed');
    await eventually(() => n1.server.files.size + n2.server.files.size === 0, WAIT_MS, 'both halves gone');
    expect(n1.server.files.outcomes).to.deep.include({ cancelled: 1 });
  });

  it("tells the sender when the receiver's server stops mid-transfer", async () => {
    const { n1, n2, alice } = await halfSent();
    await n2.stop();
    await alice.ui.waitFor(/the file half\.bin \(2\.0 MiB\) to bob did not go through: .*bob's connection was lost/);
    expect(n1.server.files.size).to.equal(0);
    expect(n1.logs.join('\n')).to.match(/File transfer alice\/\S+ from alice to bob failed after \d+ of 2097152 bytes: lost/);
  });

  it("ends the transfer for both, in words, when the receiver's server stops hearing the others mid-transfer", async () => {
    const { n1, n2, alice, bob } = await halfSent();
    // Its listening connection dropped (killed by Redis): it reconnects, but what was sent meanwhile is lost.
    const redis = createClient({ url: cluster.redis.url });
    await redis.connect();
    try {
      const name = `tinychat-files-sub-${n2.server.cluster!.incarnation}`;
      const line = String(await redis.sendCommand(['CLIENT', 'LIST'])).split('\n').find((l) => l.includes(` name=${name} `));
      const id = /^id=(\d+) /.exec(line ?? '')?.[1];
      expect(id, `${name} in CLIENT LIST`).to.be.a('string');
      expect(await redis.sendCommand(['CLIENT', 'KILL', 'ID', id!])).to.equal(1);
    } finally {
      await redis.quit();
    }
    await alice.ui.waitFor(/the file half\.bin \(2\.0 MiB\) to bob did not go through: .*the servers of the cluster lost touch while passing it on/);
    await bob.ui.waitFor(/the file half\.bin from alice did not come: .*the servers of the cluster lost touch while passing it on/);
    await eventually(() => n1.server.files.size + n2.server.files.size === 0, WAIT_MS, 'both halves gone');
    await eventually(() => readdirSync(bob.downloads).length === 0, WAIT_MS, 'the partial file removed');
    expect(n1.logs.join('\n')).to.match(/File transfer alice\/\S+ from alice to bob failed after \d+ of 2097152 bytes: relay/);
  });

  it('holds a receiver to 4 offers waiting and 1 from each sender, wherever the senders are', async () => {
    cluster = await startCluster(3, { redisEphemeral: true });
    const [n1, n2, n3] = cluster.nodes as [Running, Running, Running];
    const bob = await n2.login('bob', 'pw', ['files']);
    const senders = await Promise.all(['s1', 's2', 's3', 's4', 's5'].map((name, i) => [n1, n3][i % 2]!.login(name, 'pw', ['files'])));
    const offer = (c: (typeof senders)[0], id: string) =>
      c.request({ type: 'file_offer', to: 'bob', id, size: 100, name: 'a.txt', sha256: randomBytes(32).toString('base64') }, (m) => m.type === 'error' || (m.type === 'transfer' && m.id === id));
    for (const s of senders.slice(0, MAX_OFFERS_WAITING)) expect(await offer(s, 'f1')).to.include({ type: 'transfer', event: 'offered' });
    expect(await offer(senders[0]!, 'f2')).to.include({ type: 'error', code: 'FILE_OFFER_PENDING' });
    expect(await offer(senders[4]!, 'f1')).to.include({ type: 'error', code: 'FILE_OFFERS_FULL' });
    await eventually(() => bob.all('transfer').length === MAX_OFFERS_WAITING, WAIT_MS, 'the offers at bob');
    expect(bob.all('transfer').map((m: ServerMessage<'transfer'>) => `${m.event} ${m.from}`)).to.deep.equal(['offer s1', 'offer s2', 'offer s3', 'offer s4']);
  });

  it('names the offer each refusal is about: FILE_WAITING, sent at once, overtakes the older offers still waiting for the other server', async () => {
    cluster = await startCluster(2, { redisEphemeral: true, rateCount: 100 });
    const [n1, n2] = cluster.nodes as [Running, Running];
    await n2.login('bob', 'pw', ['files']);
    const alice = await n1.login('alice', 'pw', ['files']);
    const ids = Array.from({ length: MAX_IN_TURN + 2 }, (_, i) => `w${i}`);
    // One write, read in one turn: w0 waits for bob's server, the next ones wait behind it, and
    // the two past MAX_IN_TURN waiting are refused before any of them is answered.
    const sha256 = randomBytes(32).toString('base64');
    const offers = ids.map((id): ClientMessage<'file_offer'> => ({ type: 'file_offer', to: 'bob', id, size: 100, name: 'a.txt', sha256 }));
    alice.raw(Buffer.concat(offers.map((m) => encodeMessage(m))));
    const answers = () => [...alice.all('error'), ...alice.all('transfer').filter((m) => m.event === 'offered')];
    await eventually(() => answers().length === ids.length, WAIT_MS, 'every offer answered');
    const said = (m: ServerMessage<'error'> | ServerMessage<'transfer'>) => `${m.id} ${m.type === 'error' ? m.code : m.event}`;
    expect(alice.all('error').slice(0, 2).map(said), 'refused first, though sent last').to.deep.equal([`w${MAX_IN_TURN} FILE_WAITING`, `w${MAX_IN_TURN + 1} FILE_WAITING`]);
    // Each offer's answer names it: bob's server takes one offer from alice and refuses the others.
    const byId = answers().sort((a, b) => Number(a.id!.slice(1)) - Number(b.id!.slice(1)));
    expect(byId.map(said)).to.deep.equal([
      'w0 offered',
      ...ids.slice(1, MAX_IN_TURN).map((id) => `${id} FILE_OFFER_PENDING`),
      ...ids.slice(MAX_IN_TURN).map((id) => `${id} FILE_WAITING`),
    ]);
  });
});
