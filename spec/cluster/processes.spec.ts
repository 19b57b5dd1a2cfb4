/**
 * Cluster servers as an operator runs them (`node dist/server/main.js --redis URL`): one killed
 * with SIGKILL and started again, accounts imported from a users file, and the one-line refusals
 * at start (Redis unreachable, Redis that does not persist).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { UserFile } from '../../server/store/user-file.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { killAll, Proc } from '../support/proc.js';
import { startRedis, type RedisServer } from '../../bench/redis-proc.js';
import { needRedis } from '../support/cluster.js';
import { createClient } from 'redis';
import { KEYS } from '../../server/cluster/redis.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));
const READY = /^Server listening on tcp:\/\/127\.0\.0\.1:(\d+) and udp:\/\/127\.0\.0\.1:(\d+)$/;
// Long enough that nobody here goes silent by the clock: what takes bob offline is his server's death.
const HEARTBEAT_TIMEOUT = 20;

describe('cluster: servers as processes', function () {
  this.timeout(40_000);
  let redis: RedisServer;
  let dir: string;
  const procs: Proc[] = [];
  const servers: Running[] = [];
  const clients: TestClient[] = [];

  const run = (...args: string[]) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TINYCHAT_')));
    const p = new Proc(spawn(process.execPath, [MAIN, ...args], { stdio: 'pipe', cwd: dir, env }));
    procs.push(p);
    return p;
  };
  const node = (id: string, ...extra: string[]) =>
    run('--redis', redis.url, '--node-id', id, '--port', '0', '--udp-port', '0', '--log', '', '--bcrypt-cost', '4', '--heartbeat-timeout', String(HEARTBEAT_TIMEOUT), ...extra);
  const port = async (p: Proc) => Number((await p.line(READY, 15_000))[1]);
  const login = async (at: number, name: string, password = 'pw') => {
    const c = await TestClient.login(at, name, password);
    clients.push(c);
    return c;
  };
  /** Exactly one line on stderr, no stack trace, exit code 1. */
  async function failsWithOneLine(p: Proc): Promise<string> {
    expect(await p.exitCode(15_000)).to.equal(1);
    const lines = p.err.filter((l) => l.trim() !== '');
    expect(lines, lines.join('\n')).to.have.length(1);
    expect(lines[0]).to.match(/^chat-server: /).and.not.match(/\bat .*:\d+:\d+|Error:/);
    return lines[0]!;
  }

  needRedis();
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-cluster-'));
    redis = await startRedis();
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await killAll(procs);
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes a killed server's users offline on the others within the heartbeat timeout plus 5 s, once, also when it comes back", async () => {
    const here = await startServer({ redis: redis.url, nodeId: 'stays', heartbeatTimeout: HEARTBEAT_TIMEOUT });
    servers.push(here);
    const ann = await login(here.port, 'ann');
    const doomed = node('doomed');
    const bob = await login(await port(doomed), 'bob');
    bob.send({ type: 'pm_request', to: 'ann' });
    await ann.notice('pm_invite');
    ann.send({ type: 'pm_answer', accept: true });
    await ann.notice('pm_started');
    doomed.child.kill('SIGKILL');
    // Like a user gone silent: offline for everyone, the private chat over and the partner told.
    const within = (HEARTBEAT_TIMEOUT + 5) * 1000;
    expect(await ann.next((m) => m.type === 'notice' && m.event === 'pm_ended', within)).to.include({ user: 'bob' });
    const gone = await ann.next((m) => m.type === 'notice' && m.event === 'offline' && m.user === 'bob', 1000);
    expect(gone.type === 'notice' && gone.message).to.match(/bob went offline/);
    expect(here.logs.join('\n')).to.match(/server doomed is gone \(its lease expired\): 1 user taken offline/);
    // The same server again (a new life): bob logs in there; nobody is taken offline twice.
    const again = node('doomed');
    const bob2 = await login(await port(again), 'bob');
    await ann.next((m) => m.type === 'notice' && m.event === 'join' && m.user === 'bob');
    await ann.sync();
    expect(ann.all('notice').filter((n) => n.event === 'offline' && n.user === 'bob')).to.have.length(1);
    bob2.send({ type: 'say', text: 'back' });
    expect(await ann.line()).to.include({ from: 'bob', text: 'back' });
  });

  it('--import-users copies a users file into Redis without overwriting, and says what it did', async () => {
    const file = join(dir, 'users.json');
    const users = await UserFile.open(file);
    await users.create('Olga', bcrypt.hashSync('old-pw', 4), new Date());
    await users.close();
    const first = run('--redis', redis.url, '--import-users', file);
    expect(await first.exitCode()).to.equal(0);
    expect(first.out.join('\n')).to.match(/^Imported 1 account from .*users\.json into Redis at redis:\/\/127\.0\.0\.1:\d+; 0 were there already/);
    const second = run('--redis', redis.url, '--import-users', file);
    expect(await second.exitCode()).to.equal(0);
    expect(second.out.join('\n')).to.match(/^Imported 0 accounts .*; 1 was there already and left as it was/);
    const srv = await startServer({ redis: redis.url });
    servers.push(srv);
    const olga = await login(srv.port, 'olga', 'old-pw');
    expect(olga.me.user).to.equal('Olga');
  });

  it('--import-users refuses a Redis that does not persist, as a start does, unless --redis-ephemeral', async () => {
    const file = join(dir, 'users.json');
    const users = await UserFile.open(file);
    await users.create('Olga', bcrypt.hashSync('old-pw', 4), new Date());
    await users.close();
    const volatile = await startRedis({ appendonly: false });
    try {
      const refused = await failsWithOneLine(run('--redis', volatile.url, '--import-users', file));
      expect(refused).to.match(/^chat-server: Redis at redis:\/\/127\.0\.0\.1:\d+ does not persist \(appendonly is no\).*--redis-ephemeral/);
      const demo = run('--redis', volatile.url, '--redis-ephemeral', '--import-users', file);
      expect(await demo.exitCode()).to.equal(0);
      expect(demo.out.join('\n')).to.match(/^Imported 1 account from /);
    } finally {
      await volatile.stop();
    }
  });

  it('--import-users refuses a users file that does not exist, naming it, and creates nothing', async () => {
    const missing = join(dir, 'nonexist.json');
    expect(await failsWithOneLine(run('--redis', redis.url, '--import-users', missing))).to.equal(`chat-server: users file ${missing} does not exist`);
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it("--import-users reads a users file with its journal, as its server would, leaves both as they were, and says what a copy without the journal lacks", async () => {
    // A running server's files: its accounts so far are only in the journal.
    const live = join(dir, 'users.json');
    const users = await UserFile.open(live);
    try {
      for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) await users.create(name, bcrypt.hashSync('pw', 4), new Date());
      const refused = await failsWithOneLine(run('--redis', redis.url, '--import-users', live));
      expect(refused).to.match(/users file .*users\.json is in use by another server \(pid \d+; lock file .*\): stop that server first, then import the file$/);
      copyFileSync(live, join(dir, 'alone.json'));
      copyFileSync(live, join(dir, 'both.json'));
      copyFileSync(`${live}.journal`, join(dir, 'both.json.journal'));
    } finally {
      await users.close();
    }
    const before = [readFileSync(join(dir, 'both.json'), 'utf8'), readFileSync(join(dir, 'both.json.journal'), 'utf8')];
    const both = run('--redis', redis.url, '--import-users', join(dir, 'both.json'));
    expect(await both.exitCode()).to.equal(0);
    expect(both.out.join('\n')).to.match(/^Imported 5 accounts from .*both\.json into Redis at .*; 0 were there already and left as they were \(read 5: 0 from the file, 5 from its journal\)$/);
    expect([readFileSync(join(dir, 'both.json'), 'utf8'), readFileSync(join(dir, 'both.json.journal'), 'utf8')]).to.deep.equal(before);
    const alone = run('--redis', redis.url, '--import-users', join(dir, 'alone.json'));
    expect(await alone.exitCode()).to.equal(0);
    expect(alone.out.join('\n')).to.match(
      /^Imported 0 accounts from .*alone\.json .*\(the file holds none, and no journal .*alone\.json\.journal lies beside it, where a running server keeps its newest accounts: copy it with the file, or stop the server first\)$/,
    );
    // Stopped, the server wrote its journal into the file: the file alone holds every account.
    const stopped = run('--redis', redis.url, '--import-users', live);
    expect(await stopped.exitCode()).to.equal(0);
    expect(stopped.out.join('\n')).to.match(/^Imported 0 accounts .*; 5 were there already .*\(read 5 from the file, no journal beside it\)$/);
  });

  it('refuses to start, in one line, when Redis cannot be reached or does not persist', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as net.AddressInfo;
        s.close(() => resolve(p));
      });
    });
    // The password in the URL is not repeated in the error (the terminal's scrollback, a service's journal).
    const unreachable = run('--redis', `redis://ops:s3cret@127.0.0.1:${closed}`, '--port', '0', '--udp-port', '0', '--log', '');
    const line = await failsWithOneLine(unreachable);
    // In words, as the chat's own connections say it, not as node-redis does ("connect ECONNREFUSED 127.0.0.1:…").
    expect(line).to.match(/cannot reach Redis at redis:\/\/ops:\*\*\*@127\.0\.0\.1:\d+: connection refused$/);
    expect(line).to.not.include('s3cret');
    const volatile = await startRedis({ appendonly: false });
    try {
      const refused = run('--redis', volatile.url, '--port', '0', '--udp-port', '0', '--log', '');
      expect(await failsWithOneLine(refused)).to.match(/does not persist \(appendonly is no\).*--redis-ephemeral/);
      const demo = run('--redis', volatile.url, '--redis-ephemeral', '--port', '0', '--udp-port', '0', '--log', '');
      expect(await port(demo)).to.be.greaterThan(0);
      demo.child.kill('SIGTERM');
      expect(await demo.exitCode()).to.equal(0);
      // The cluster's network id damaged: refused in one line, never quietly replaced.
      const redis = createClient({ url: volatile.url });
      await redis.connect();
      await redis.set(KEYS.network, 'not an id!');
      await redis.quit();
      const damaged = run('--redis', volatile.url, '--redis-ephemeral', '--port', '0', '--udp-port', '0', '--log', '');
      expect(await failsWithOneLine(damaged)).to.match(/tinychat:network in Redis at redis:\/\/\S+ holds no network id; delete the key/);
    } finally {
      await volatile.stop();
    }
  });
});
