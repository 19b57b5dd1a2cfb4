/**
 * What `npm run bench` does beyond the fanout smoke: the idle and storm scenarios at --quick
 * sizes, the command's --make-users and --json outputs, and the login progress the bar shows.
 * As in the smoke spec, figures that depend on timing are not asserted; that every client and
 * line is accounted for, and that the outputs are complete, is.
 */
import bcrypt from 'bcryptjs';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD } from '../../bench/accounts.js';
import type { ClientSpec } from '../../bench/ipc.js';
import { main, parseArgs, runBench } from '../../bench/main.js';
import { formatReport } from '../../bench/report.js';
import { WorkerPool } from '../../bench/pool.js';
import { haveRedis } from '../../bench/redis-proc.js';
import { spawnTarget } from '../../bench/server-proc.js';
import { DEFAULTS } from '../../server/config.js';
import { FrameDecoder, encodeMessage, validate } from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { SERVER_MESSAGES, type ClientMessage, type ServerMessage } from '../../common/protocol.js';

/** Runs `run` with this process's stdout and stderr captured instead of printed. */
async function quietly<T>(run: () => Promise<T>): Promise<{ value: T; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { stdout, stderr } = process;
  const original = { out: stdout.write, err: stderr.write };
  stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof stdout.write;
  stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof stderr.write;
  try {
    const value = await run();
    return { value, out: out.join(''), err: err.join('') };
  } finally {
    stdout.write = original.out;
    stderr.write = original.err;
  }
}

describe('bench scenarios (--quick)', function () {
  this.timeout(30_000);

  it('idle: every client logs in and heartbeats through the hold, and no one goes offline', async () => {
    const config = parseArgs(['--scenario', 'idle', '--quick', '--heartbeat', '1', '--seconds', '2', '--no-progress']);
    const { real } = await runBench(config);
    expect(real.login.ok).to.equal(config.clients);
    // Beats every second through a 2 s hold: every client has beaten at least once.
    expect(real.heartbeats).to.be.at.least(config.clients);
    expect(real.notices.offline, 'offline notices').to.equal(undefined);
    expect(real.hold).to.have.all.keys('rssPerClientKB', 'cpuPercent');
    expect(real.chat).to.equal(undefined);
    expect(real.phases.map((p) => p.name)).to.deep.equal(['login', 'hold']);
    expect(real.closed).to.deep.equal({});
    expect(real.errors).to.deep.equal({});
  });

  for (const register of [false, true]) {
    it(`storm${register ? ' --register' : ''}: every storm login succeeds while the chat loses nothing`, async () => {
      const config = parseArgs(['--scenario', 'storm', '--quick', '--no-progress', ...(register ? ['--register'] : [])]);
      const { real } = await runBench(config);
      expect(real.login.ok).to.equal(config.clients);
      expect(real.storm).to.include({ clients: config.stormLogins, ok: config.stormLogins });
      expect(real.storm!.failures).to.deep.equal({});
      expect(real.chat).to.include({ expected: config.clients * real.chat!.sent, lost: 0, outOfOrder: 0 });
      expect(real.closed).to.deep.equal({});
      expect(real.errors).to.deep.equal({});
    });
  }

  it('cluster: clients spread over three servers on one Redis get every line in order, and one server runs the same beside it', async function () {
    if (!(await haveRedis())) this.skip();
    const config = parseArgs(['--scenario', 'cluster', '--quick', '--no-progress']);
    const { real, single, ratios } = await runBench(config);
    for (const run of [real, single!]) {
      expect(run.login.ok).to.equal(config.clients);
      expect(run.chat).to.include({ expected: config.clients * run.chat!.sent, lost: 0, outOfOrder: 0 });
      expect(run.closed).to.deep.equal({});
      expect(run.errors).to.deep.equal({});
    }
    expect([real.target, single!.target]).to.deep.equal(['cluster', 'server']);
    expect(real.processes!.map((p) => p.name)).to.deep.equal(['server n1', 'server n2', 'server n3', 'redis']);
    // CPU is counted in 10 ms ticks: a quick run's Redis may not reach one, the servers together do.
    expect(real.processes!.every((p) => p.cpuS >= 0 && p.peakRssMB > 0)).to.equal(true);
    expect(real.processes!.slice(0, 3).reduce((n, p) => n + p.cpuS, 0)).to.be.greaterThan(0);
    expect(real.serverStats).to.match(/Servers in the cluster: 3/);
    expect(ratios!['chat.lost']).to.equal(1); // 0 lost against 0 lost
  });
});

describe('bench connect scenario (--quick)', function () {
  this.timeout(30_000);

  it('logs in to existing accounts, then registers, against the raw hash rate, the floor and the hashing floor', async () => {
    const config = parseArgs(['--scenario', 'connect', '--quick', '--floor', '--no-progress', '--accounts', '50']);
    const report = await runBench(config);
    expect(report.hashingFloor!.target).to.equal('hashing-floor');
    for (const run of [report.real, report.floor!, report.hashingFloor!]) {
      expect(run.login.ok).to.equal(config.clients);
      expect(run.register).to.include({ clients: config.registrations, ok: config.registrations });
      expect(run.connect).to.have.all.keys(
        'loginsPerS',
        'registrationsPerS',
        'cpuMsPerLogin',
        'cpuMsPerRegistration',
        'mainCpuMsPerLogin',
        'hashCpuMsPerLogin',
        'mainCpuMsPerRegistration',
        'hashCpuMsPerRegistration',
        'rssPerConnectionKB',
      );
      expect(run.phases.map((p) => p.name)).to.deep.equal(['login', 'register']);
      expect(run.errors).to.deep.equal({});
    }
    expect(report.hash!.mean).to.include({ threads: DEFAULTS.hashThreads, cost: 4 });
    expect(report.hash!.mean.comparesPerS).to.be.greaterThan(0);
    expect(report.hash!.real).to.have.all.keys('loginsPerS', 'registrationsPerS', 'cpuPerLogin', 'cpuPerRegistration');
    expect(report.hash!.floor).to.have.all.keys('loginsPerS', 'registrationsPerS', 'cpuPerLogin', 'cpuPerRegistration');
    // Its hash threads did the hashing: a compare a login and a hash a registration.
    expect(report.hashingFloor!.phases.every((p) => p.serverLowCpuS > 0)).to.equal(true);
    const text = formatReport(report);
    expect(text).to.match(/^server against it: logins\/s [\d.]+x the compare rate/m);
    expect(text).to.match(/^hashing floor against it: logins\/s [\d.]+x the compare rate, .* CPU per login [\d.]+x a compare/m);
    expect(text).to.match(/^hashing-floor phases:$/m);
    expect(report.real.start!.seconds).to.be.greaterThan(0);
    // Everyone who logged in or registered is online at the end.
    expect(report.real.serverStats).to.match(new RegExp(`Active users: ${config.clients + config.registrations}\\b`));
  });
});

describe('the hashing floor (bench/floor.ts --db)', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bench-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Logs in as `user` with `password` on a fresh connection: the first answer after hello. */
  const answer = (port: number, user: string, password: string) =>
    new Promise<ServerMessage>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      const decoder = new FrameDecoder();
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`the floor closed the connection of ${user} without an answer`)));
      const login: ClientMessage<'login'> = { type: 'login', user, password };
      socket.on('connect', () => socket.write(encodeMessage(login)));
      socket.on('data', (chunk) => {
        for (const { frame } of decoder.push(chunk)) {
          const msg = validate<ServerMessage>(frame!, SERVER_MESSAGES);
          if (msg instanceof ChatError) return reject(msg);
          if (msg.type === 'hello') continue;
          socket.destroy();
          resolve(msg);
        }
      });
    });

  it("checks a password against the users file's hash, and registers a name it does not know", async () => {
    const db = join(dir, 'users.json');
    writeFileSync(db, `{"users":[${JSON.stringify({ name: 'ann', hash: bcrypt.hashSync('right-one', 4) })}]}`);
    const floor = await spawnTarget(new URL('../../bench/floor.js', import.meta.url), ['--db', db, '--hash-cost', '4', '--hash-threads', '1']);
    try {
      expect(await answer(floor.port, 'ann', 'wrong-one')).to.include({ type: 'error', code: 'BAD_PASSWORD' });
      expect(await answer(floor.port, 'ann', 'right-one')).to.include({ type: 'login_ok', user: 'ann', created: false });
      expect(await answer(floor.port, 'bob', 'new-one')).to.include({ type: 'login_ok', user: 'bob', created: true });
      // bob's password was hashed and kept: another one is refused.
      expect(await answer(floor.port, 'bob', 'not-his')).to.include({ type: 'error', code: 'BAD_PASSWORD' });
    } finally {
      await floor.stop();
    }
  });
});

describe('bench command (main)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bench-spec-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const names = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { users: { name: string }[] }).users.map((u) => u.name);

  it('--make-users writes the accounts of the run and runs nothing; with --register, not the storm users', async () => {
    const file = join(dir, 'users.json');
    const { value, err } = await quietly(() => main(['--scenario', 'storm', '--quick', '--make-users', file]));
    expect(value).to.equal(null);
    expect(err).to.include(file);
    const chat = ['u0', 'u1', 'u2', 'u3', 'u4'];
    const storm = Array.from({ length: 10 }, (_, i) => `s${i}`);
    expect(names(file)).to.deep.equal([...chat, ...storm]);

    expect(await quietly(() => main(['--scenario', 'storm', '--quick', '--register', '--make-users', file]))).to.include({ value: null });
    expect(names(file)).to.deep.equal(chat);
  });

  it('--make-users for connect leaves out who registers, and adds --accounts more', async () => {
    const file = join(dir, 'users.json');
    await quietly(() => main(['--scenario', 'connect', '--quick', '--accounts', '3', '--make-users', file]));
    expect(names(file)).to.deep.equal([...Array.from({ length: 10 }, (_, i) => `u${i}`), 'x0', 'x1', 'x2']);
  });

  it('--json FILE writes the same figures as the report it prints', async () => {
    const file = join(dir, 'report.json');
    const { value: report, out } = await quietly(() => main(['--scenario', 'fanout', '--quick', '--no-progress', '--json', file]));
    expect(report).not.to.equal(null);
    expect(out).to.match(/^tinychat bench: fanout/);
    const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    expect(json).to.deep.equal(JSON.parse(JSON.stringify(report)));
    expect(report!.real.chat).to.include({ lost: 0 });
  });
});

describe('bench worker pool', function () {
  this.timeout(20_000);

  it('counts the login progress of each phase from 0', async () => {
    const floor = await spawnTarget(new URL('../../bench/floor.js', import.meta.url), []);
    const spec = (index: number, role: ClientSpec['role']): ClientSpec => ({ index, name: `${role}${index}`, password: PASSWORD, role });
    const clients = [0, 1, 2, 3].map((i) => spec(i, 'chat')).concat([4, 5].map((i) => spec(i, 'storm')));
    const seen: number[] = [];
    const setup = (w: number) => ({
      ...{ host: floor.host, port: floor.port, clients: clients.filter((c) => c.index % 2 === w), senders: 0, window: 1 },
      ...{ heartbeatMs: 0, concurrency: 0, loginTimeout: 10, irc: false },
    });
    const pool = await WorkerPool.start(2, setup, (done) => seen.push(done));
    try {
      expect((await pool.login('chat')).flatMap((r) => r.times)).to.have.length(4);
      expect(seen.at(-1)).to.equal(4);
      seen.length = 0;
      expect((await pool.login('storm')).flatMap((r) => r.times)).to.have.length(2);
      expect(seen.at(-1)).to.equal(2);
      expect(Math.max(...seen)).to.equal(2);
    } finally {
      await pool.quit();
      floor.meter?.close();
      await floor.stop();
    }
  });
});
