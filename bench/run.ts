/**
 * One run of a workload against one target (the real server, the floor relay, or a server
 * already running): start the target, fork the workers, log the clients in, run the scenario's
 * phase, and gather the figures. Every phase is metered for wall time, server CPU and RSS, and
 * load-generator CPU.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD, writeUsersFile, type UsersFile } from './accounts.js';
import { nowNs } from './client.js';
import { BenchError } from './errors.js';
import { checkOpenFiles } from './limits.js';
import { startClusterTarget } from './cluster-target.js';
import { chatFigures, loginFigures, mergeStats } from './figures.js';
import type { ClientSpec } from './ipc.js';
import { PhaseMeter } from './phase-meter.js';
import { WorkerPool } from './pool.js';
import type { Progress } from './progress.js';
import type { ConnectFigures, LoginFigures, PhaseFigures, RunResult } from './report.js';
import { SCENARIOS, hashThreads, serverArgs, type BenchConfig } from './scenarios.js';
import { IRC_CHANNEL } from './irc-client.js';
import { IRC_READY, ProcMeter, spawnTarget, udpReceiveDrops, type Target } from './server-proc.js';

const SERVER = new URL('../server/main.js', import.meta.url);
const FLOOR = new URL('./floor.js', import.meta.url);
/** Nothing arrived for this long after the last send: what is missing is lost. */
const DRAIN_IDLE_MS = 5000;
const MB = 1024 * 1024;

/** 'hashing-floor': the floor relay checking passwords on the server's hasher (see floor.ts). */
type TargetKind = 'server' | 'floor' | 'hashing-floor' | 'cluster';
const isFloor = (kind: TargetKind) => kind === 'floor' || kind === 'hashing-floor';

/**
 * The run's clients: chat clients u0..uN-1 (the first S send), then storm clients s0..sK-1, then
 * clients r0..rR-1 that register.
 */
export function clientSpecs(config: BenchConfig): ClientSpec[] {
  const chat = Array.from({ length: config.clients }, (_, i): ClientSpec => ({
    index: i,
    name: `u${i}`,
    password: PASSWORD,
    role: 'chat',
    ...(i < config.senders ? { sender: i } : {}),
  }));
  const storm = Array.from({ length: config.stormLogins }, (_, i): ClientSpec => ({
    index: config.clients + i,
    name: `s${i}`,
    password: PASSWORD,
    role: 'storm',
  }));
  const registering = Array.from({ length: config.registrations }, (_, i): ClientSpec => ({
    index: config.clients + config.stormLogins + i,
    name: `r${i}`,
    password: PASSWORD,
    role: 'register',
  }));
  return [...chat, ...storm, ...registering];
}

/** The users file of a run: who has an account before it starts, at what cost. */
export function usersFileOf(config: BenchConfig): UsersFile {
  return { cost: config.cost, extra: config.accounts, skip: (c) => c.role === 'register' || (config.register && c.role === 'storm') };
}

export async function runWorkload(config: BenchConfig, kind: TargetKind, progress: Progress): Promise<RunResult> {
  const specs = clientSpecs(config);
  checkOpenFiles(specs.length, config.workers, isFloor(kind) || config.port === undefined);
  const dir = mkdtempSync(join(tmpdir(), 'chat-bench-'));
  let target: Target | null = null;
  let pool: WorkerPool | null = null;
  try {
    progress.phase(`starting ${kind}`, 1);
    target = await startTarget(config, kind, dir, specs);
    progress.update(1);
    pool = await WorkerPool.start(config.workers, (w) => ({
      host: target!.host,
      port: target!.port,
      ...(target!.ports ? { ports: target!.ports } : {}),
      clients: specs.filter((c) => c.index % config.workers === w),
      senders: config.senders,
      window: config.window,
      heartbeatMs: config.heartbeat * 1000,
      concurrency: config.concurrency,
      loginTimeout: config.loginTimeout,
      irc: speaksIrc(config, kind),
      // tinychat's own IRC listener: accounts with passwords; echo-message for the closed loop.
      ...(speaksIrc(config, kind) && config.port === undefined ? { ircAccount: { echo: config.rate === 0 } } : {}),
    }), (done) => progress.update(done), profileArgs(config));
    return await phases(config, kind, target, pool, progress);
  } finally {
    progress.stop();
    await pool?.quit();
    target?.meter?.close();
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startTarget(config: BenchConfig, kind: TargetKind, dir: string, specs: ClientSpec[]): Promise<Target> {
  if (kind === 'floor') return spawnTarget(FLOOR, [], profileArgs(config));
  const db = join(dir, 'users.json');
  // The hashing floor is started here even when the server is one at --port.
  if (kind === 'hashing-floor') {
    writeUsersFile(db, specs, usersFileOf(config));
    const hashing = ['--db', db, '--hash-cost', String(config.cost), '--hash-threads', String(hashThreads(config.serverArgs))];
    return spawnTarget(FLOOR, hashing, profileArgs(config));
  }
  if (config.port !== undefined) {
    const meter = config.serverPid ? new ProcMeter(config.serverPid) : null;
    const output = { stdout: 0, stderr: 0 };
    return { host: config.host ?? '127.0.0.1', port: config.port, meter, output, console: async () => null, stop: async () => {} };
  }
  writeUsersFile(db, specs, usersFileOf(config));
  const args = serverArgs(config, db, join(dir, 'server.log'));
  if (kind === 'cluster') return startClusterTarget(SERVER, args, db, config.nodes, profileArgs(config));
  // --irc without --port: tinychat itself, driven over its IRC listener (in the channel the IRC client joins).
  if (config.irc) return spawnTarget(SERVER, [...args, '--irc-port', '0', '--irc-channel', IRC_CHANNEL], profileArgs(config), IRC_READY);
  return spawnTarget(SERVER, args, profileArgs(config));
}

/** node options that write a CPU profile of the process into --profile's folder, if given. */
function profileArgs(config: BenchConfig): string[] {
  return config.profile ? ['--cpu-prof', '--cpu-prof-dir', config.profile] : [];
}

async function phases(config: BenchConfig, kind: TargetKind, target: Target, pool: WorkerPool, progress: Progress): Promise<RunResult> {
  const meter = new PhaseMeter(target.meter, pool);
  const udpDropsBefore = udpReceiveDrops();
  const rssBeforeKB = target.meter?.rssKB() ?? NaN;

  await meter.begin('login');
  progress.phase('login', config.clients);
  const login = loginFigures(await pool.login('chat'), config.clients);
  login.totalS = (await meter.end()).seconds;
  if (login.ok === 0) {
    const why = Object.entries(login.failures).map(([k, v]) => `${k} x${v}`).join(', ');
    throw new BenchError(`no client could log in to ${kind} at ${target.host}:${target.port}: ${why}`);
  }

  const result: Partial<RunResult> = { login };
  // A cluster's processes: CPU after the login, so each one's share of the workload shows.
  const partsAfterLogin = target.parts?.map((p) => p.meter.cpuSeconds());
  let lines: Lines | null = null;
  for (const phase of SCENARIOS[config.scenario].phases) {
    await meter.begin(phase);
    if (phase === 'hold') {
      progress.phase('holding idle (s)', config.seconds);
      await hold(config.seconds, progress);
    } else if (phase === 'chat') {
      progress.phase('chatting', 1);
      const sent = await chat(config, pool);
      progress.update(1);
      lines = await drain(pool, sent);
    } else if (phase === 'register') {
      progress.phase('registrations', config.registrations);
      const started = performance.now();
      result.register = loginFigures(await pool.login('register'), config.registrations);
      result.register.totalS = (performance.now() - started) / 1000;
    } else {
      progress.phase('storm logins', config.stormLogins);
      const { sent, storm } = await stormPhase(config, pool);
      result.storm = storm;
      lines = await drain(pool, sent);
    }
    const figures = await meter.end();
    if (phase === 'register') {
      const connected = login.ok + result.register!.ok;
      result.connect = connectFigures(meter.done, login, result.register!, (figures.serverRssMB * 1024 - rssBeforeKB) / connected);
    }
    if (phase === 'hold') {
      result.hold = {
        rssPerClientKB: (figures.serverRssMB * 1024 - rssBeforeKB) / config.clients,
        cpuPercent: (100 * figures.serverCpuS) / figures.seconds,
      };
    }
  }

  const stats = mergeStats((await pool.all({ cmd: 'stats' }, 'stats')).map((r) => r.stats));
  if (lines) result.chat = chatFigures(stats, lines.sent, lines.expected, config.rate > 0);
  const serverStats = !isFloor(kind) ? await target.console('stats', /^Active users:/) : null;
  const m = target.meter;
  return {
    target: !speaksIrc(config, kind) ? (kind === 'server' && config.port !== undefined ? 'external' : kind) : config.port === undefined ? 'server-irc' : 'irc',
    login,
    ...result,
    ...(target.parts
      ? { processes: target.parts.map((p, i) => ({ name: p.name, cpuS: p.meter.cpuSeconds() - partsAfterLogin![i]!, peakRssMB: p.meter.hwmKB() / 1024 })) }
      : {}),
    server: {
      peakRssMB: m ? m.hwmKB() / 1024 : NaN,
      cpuS: m ? m.cpuSeconds() : NaN,
      stdoutMB: target.output.stdout / MB,
      stderrMB: target.output.stderr / MB,
    },
    ...(serverStats ? { serverStats } : {}),
    ...(target.start ? { start: target.start } : {}),
    loadgen: {
      workers: config.workers,
      cpuS: await pool.cpuSeconds(),
      loopDelayP99Ms: stats.loopDelayP99Ms,
      loopDelayMaxMs: stats.loopDelayMaxMs,
      heartbeatLateMaxMs: stats.heartbeatLateMaxMs,
    },
    phases: meter.done,
    closed: stats.closed,
    errors: stats.errors,
    notices: stats.notices,
    heartbeats: stats.heartbeats,
    udpReceiveDrops: udpReceiveDrops() - udpDropsBefore,
    receivedMB: stats.bytesIn / MB,
    reads: stats.reads,
  };
}

/**
 * Connect: logins and registrations per second, the server's CPU for each (from the phases of
 * the same names), and the server's RSS per connection once all are in.
 */
function connectFigures(phases: PhaseFigures[], login: LoginFigures, register: LoginFigures, rssPerConnectionKB: number): ConnectFigures {
  type Cpu = 'serverCpuS' | 'serverMainCpuS' | 'serverLowCpuS';
  const cpuMs = (name: string, n: number, which: Cpu = 'serverCpuS') => (1000 * (phases.find((p) => p.name === name)?.[which] ?? NaN)) / n;
  return {
    loginsPerS: login.ok / login.totalS,
    registrationsPerS: register.ok / register.totalS,
    cpuMsPerLogin: cpuMs('login', login.ok),
    cpuMsPerRegistration: cpuMs('register', register.ok),
    mainCpuMsPerLogin: cpuMs('login', login.ok, 'serverMainCpuS'),
    hashCpuMsPerLogin: cpuMs('login', login.ok, 'serverLowCpuS'),
    mainCpuMsPerRegistration: cpuMs('register', register.ok, 'serverMainCpuS'),
    hashCpuMsPerRegistration: cpuMs('register', register.ok, 'serverLowCpuS'),
    rssPerConnectionKB,
  };
}

/** Idle: clients stay connected and heartbeat; the parent only waits. */
async function hold(seconds: number, progress: Progress): Promise<void> {
  for (let s = 1; s <= seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    progress.update(s);
  }
}

/** Everyone starts sending at the same moment, a little ahead, so no worker gets a head start. */
function chatCommand(config: BenchConfig) {
  return { cmd: 'chat', messages: config.messages, rate: config.rate, startNs: nowNs() + 50e6 } as const;
}

async function chat(config: BenchConfig, pool: WorkerPool): Promise<number> {
  const replies = await pool.all(chatCommand(config), 'sent');
  return replies.reduce((n, r) => n + r.sent, 0);
}

/** Storm: chat until every storm login has succeeded or failed. */
async function stormPhase(config: BenchConfig, pool: WorkerPool): Promise<{ sent: number; storm: LoginFigures }> {
  const sending = pool.all(chatCommand(config), 'sent');
  const started = performance.now();
  const storm = loginFigures(await pool.login('storm'), config.stormLogins);
  storm.totalS = (performance.now() - started) / 1000;
  pool.tell({ cmd: 'stop' });
  const sent = (await sending).reduce((n, r) => n + r.sent, 0);
  return { sent, storm };
}

/**
 * --irc: the target speaks IRC, an IRC daemon at --port or, without --port, tinychat's own IRC
 * listener; the floor, run for comparison, speaks our protocol.
 */
function speaksIrc(config: BenchConfig, kind: TargetKind): boolean {
  return config.irc && kind === 'server';
}

/** Lines sent in a chat phase, and the deliveries they should have made. */
interface Lines {
  sent: number;
  expected: number;
}

/** Waits for the sent lines to arrive; each worker says how many deliveries its clients expected. */
async function drain(pool: WorkerPool, sent: number): Promise<Lines> {
  const replies = await pool.all({ cmd: 'drain', total: sent, idleMs: DRAIN_IDLE_MS }, 'drained');
  return { sent, expected: replies.reduce((n, r) => n + r.expected, 0) };
}
