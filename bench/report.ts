/**
 * What a bench run found, as data (the JSON report) and as a table for a reader. With --floor the
 * table puts each figure of the real server beside the floor relay's and gives the ratio
 * real/floor, the number the issue asks to improve.
 */
import type { HashRate } from './hash-rate.js';
import type { BenchConfig } from './scenarios.js';

export interface LoginFigures {
  clients: number;
  ok: number;
  failures: Record<string, number>;
  /** Wall time of the whole login phase. */
  totalS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface ChatFigures {
  sent: number;
  expected: number;
  deliveries: number;
  lost: number;
  outOfOrder: number;
  /** From the first send to the last receipt. */
  seconds: number;
  deliveriesPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** Worst lateness of a paced send against its schedule (load generator falling behind). */
  sendLagMaxMs: number;
}

/** Connect: how fast people get in, what each costs the server, and what each holds. */
export interface ConnectFigures {
  /** Logins of existing accounts per second (the login phase: connect, hello, login, login_ok). */
  loginsPerS: number;
  /** First logins per second: each a hash, an fsynced journal line and a login. */
  registrationsPerS: number;
  /** Server CPU of the login phase per login, and of the registration phase per registration. */
  cpuMsPerLogin: number;
  cpuMsPerRegistration: number;
  /** Of the CPU per login: the event loop's, and the hash threads'. */
  mainCpuMsPerLogin: number;
  hashCpuMsPerLogin: number;
  mainCpuMsPerRegistration: number;
  hashCpuMsPerRegistration: number;
  /** Server RSS growth from before the logins to the end, per connection (logged in, heartbeating). */
  rssPerConnectionKB: number;
}

/** Connect figures measured against the raw hash rate of the same run (1 = at the hash's speed). */
export interface VersusHash {
  loginsPerS: number;
  registrationsPerS: number;
  cpuPerLogin: number;
  cpuPerRegistration: number;
}

interface HoldFigures {
  /** Server RSS growth from before the logins to the end of the hold, per client. */
  rssPerClientKB: number;
  /** Server CPU during the hold, in % of one core. */
  cpuPercent: number;
}

export interface PhaseFigures {
  name: string;
  seconds: number;
  serverCpuS: number;
  /** Of which the server's main thread (the event loop), and its hash threads. */
  serverMainCpuS: number;
  serverLowCpuS: number;
  /** Seconds those threads were runnable but waited for a CPU (the kernel's run queue). */
  serverMainWaitS: number;
  serverLowWaitS: number;
  /** Share of all the machine's CPUs that stood idle in the phase (0-1). */
  machineIdle: number;
  loadCpuS: number;
  /** Server RSS at the end of the phase and the highest sampled during it. */
  serverRssMB: number;
  serverPeakMB: number;
}

export interface RunResult {
  /** 'irc': an IRC daemon at --port; 'server-irc': the bench's own server, over its IRC listener. */
  target: 'server' | 'floor' | 'hashing-floor' | 'external' | 'irc' | 'server-irc' | 'cluster';
  login: LoginFigures;
  chat?: ChatFigures;
  storm?: LoginFigures;
  /** Connect: the first logins (registrations), after the logins of existing accounts. */
  register?: LoginFigures;
  connect?: ConnectFigures;
  hold?: HoldFigures;
  /** A server the bench started: seconds from spawn to ready, and RSS then (the users file loaded). */
  start?: { seconds: number; rssMB: number };
  server: { peakRssMB: number; cpuS: number; stdoutMB: number; stderrMB: number };
  /** The server console's `stats` line at the end (connections, messages, datagrams by outcome). */
  serverStats?: string;
  loadgen: {
    workers: number;
    cpuS: number;
    /** Worst worker's event-loop delay: high means the load side could not keep up. */
    loopDelayP99Ms: number;
    loopDelayMaxMs: number;
    heartbeatLateMaxMs: number;
  };
  phases: PhaseFigures[];
  /** A cluster: each process (every server, and Redis) on its own; CPU from the end of the login on. */
  processes?: { name: string; cpuS: number; peakRssMB: number }[];
  /** Connections the server closed, error frames, and notices, as the clients saw them. */
  closed: Record<string, number>;
  errors: Record<string, number>;
  notices: Record<string, number>;
  heartbeats: number;
  /** Datagrams dropped machine-wide for a full UDP receive buffer during the run (lost heartbeats). */
  udpReceiveDrops: number;
  /** Megabytes the clients received in all (join notices included). */
  receivedMB: number;
  /** Socket reads by all clients (a read per server write, or fewer when writes pile up). */
  reads: number;
}

export interface Report {
  scenario: string;
  date: string;
  machine: { nproc: number; node: string; cpu: string };
  config: BenchConfig;
  real: RunResult;
  floor?: RunResult;
  /** The cluster scenario: the same workload on one server. */
  single?: RunResult;
  /** Connect with --floor: the floor relay checking passwords on the server's hasher (bench/floor.ts). */
  hashingFloor?: RunResult;
  /** real/floor (or cluster/one server) for each figure both runs have. */
  ratios?: Record<string, number>;
  /**
   * Connect: the raw hash rate of the server's hash threads, measured just before and just after
   * the server's run, and their mean, which the server's figures (and the hashing floor's) are
   * measured against.
   */
  hash?: { before: HashRate; after: HashRate; mean: HashRate; real: VersusHash; floor?: VersusHash };
}

/** The connect figures over the raw hash rate. */
export function versusHash(c: ConnectFigures, h: HashRate): VersusHash {
  return {
    loginsPerS: c.loginsPerS / h.comparesPerS,
    registrationsPerS: c.registrationsPerS / h.hashesPerS,
    cpuPerLogin: c.cpuMsPerLogin / h.cpuMsPerCompare,
    cpuPerRegistration: c.cpuMsPerRegistration / h.cpuMsPerHash,
  };
}

interface Figure {
  key: string;
  label: string;
  get(r: RunResult): number | undefined;
  digits: number;
}

const f = (key: string, label: string, digits: number, get: (r: RunResult) => number | undefined): Figure => ({ key, label, digits, get });

/** The figures of the table, in order; `key` names them in the JSON ratios. */
export const FIGURES: Figure[] = [
  f('login.totalS', 'login: all clients (s)', 2, (r) => r.login.totalS),
  f('login.p50Ms', 'login: per client p50 (ms)', 1, (r) => r.login.p50Ms),
  f('login.p99Ms', 'login: per client p99 (ms)', 1, (r) => r.login.p99Ms),
  f('chat.deliveries', 'chat: deliveries', 0, (r) => r.chat?.deliveries),
  f('chat.lost', 'chat: lost', 0, (r) => r.chat?.lost),
  f('chat.outOfOrder', 'chat: out of order', 0, (r) => r.chat?.outOfOrder),
  f('chat.deliveriesPerS', 'chat: deliveries/s', 0, (r) => r.chat?.deliveriesPerS),
  f('chat.p50Ms', 'chat: latency p50 (ms)', 2, (r) => r.chat?.p50Ms),
  f('chat.p99Ms', 'chat: latency p99 (ms)', 2, (r) => r.chat?.p99Ms),
  f('chat.maxMs', 'chat: latency max (ms)', 2, (r) => r.chat?.maxMs),
  f('chat.sendLagMaxMs', 'chat: paced send lag max (ms)', 1, (r) => r.chat?.sendLagMaxMs),
  f('storm.ok', 'storm: logins ok', 0, (r) => r.storm?.ok),
  f('storm.failed', 'storm: logins failed', 0, (r) => (r.storm ? r.storm.clients - r.storm.ok : undefined)),
  f('storm.totalS', 'storm: all logins (s)', 2, (r) => r.storm?.totalS),
  f('storm.p50Ms', 'storm: login p50 (ms)', 0, (r) => r.storm?.p50Ms),
  f('storm.p99Ms', 'storm: login p99 (ms)', 0, (r) => r.storm?.p99Ms),
  f('register.totalS', 'register: all clients (s)', 2, (r) => r.register?.totalS),
  f('register.p50Ms', 'register: per client p50 (ms)', 1, (r) => r.register?.p50Ms),
  f('register.p99Ms', 'register: per client p99 (ms)', 1, (r) => r.register?.p99Ms),
  f('connect.loginsPerS', 'connect: logins/s (existing accounts)', 1, (r) => r.connect?.loginsPerS),
  f('connect.registrationsPerS', 'connect: registrations/s', 1, (r) => r.connect?.registrationsPerS),
  f('connect.cpuMsPerLogin', 'connect: server CPU per login (ms)', 3, (r) => r.connect?.cpuMsPerLogin),
  f('connect.cpuMsPerRegistration', 'connect: server CPU per registration (ms)', 3, (r) => r.connect?.cpuMsPerRegistration),
  f('connect.mainCpuMsPerLogin', '  of which the event loop (ms)', 3, (r) => r.connect?.mainCpuMsPerLogin),
  f('connect.hashCpuMsPerLogin', '  of which the hash threads (ms)', 3, (r) => r.connect?.hashCpuMsPerLogin),
  f('connect.mainCpuMsPerRegistration', 'connect: event loop CPU per registration (ms)', 3, (r) => r.connect?.mainCpuMsPerRegistration),
  f('connect.hashCpuMsPerRegistration', 'connect: hash threads CPU per registration (ms)', 3, (r) => r.connect?.hashCpuMsPerRegistration),
  f('connect.rssPerConnectionKB', 'connect: server RSS per connection (KB)', 2, (r) => r.connect?.rssPerConnectionKB),
  f('hold.rssPerClientKB', 'idle: server RSS per client (KB)', 2, (r) => r.hold?.rssPerClientKB),
  f('hold.cpuPercent', 'idle: server CPU (% of a core)', 2, (r) => r.hold?.cpuPercent),
  f('hold.heartbeats', 'idle: heartbeats sent', 0, (r) => (r.hold ? r.heartbeats : undefined)),
  f('start.seconds', 'server: start, spawn to ready (s)', 2, (r) => r.start?.seconds),
  f('start.rssMB', 'server: RSS once started (MB)', 1, (r) => r.start?.rssMB),
  f('server.peakRssMB', 'server: peak RSS (MB)', 1, (r) => r.server.peakRssMB),
  f('server.cpuS', 'server: CPU (s)', 2, (r) => r.server.cpuS),
  f('server.consoleMB', 'server: console output (MB)', 2, (r) => r.server.stdoutMB + r.server.stderrMB),
  f('server.cpuUsPerDelivery', 'server: CPU per delivery (us)', 3, (r) => (r.chat ? (1e6 * chatCpu(r)) / r.chat.deliveries : undefined)),
  f('loadgen.cpuS', 'load generator: CPU (s)', 2, (r) => r.loadgen.cpuS),
  f('loadgen.loopDelayP99Ms', 'load generator: loop delay p99 (ms)', 1, (r) => r.loadgen.loopDelayP99Ms),
  f('loadgen.loopDelayMaxMs', 'load generator: loop delay max (ms)', 1, (r) => r.loadgen.loopDelayMaxMs),
  f('loadgen.heartbeatLateMaxMs', 'load generator: heartbeat late max (ms)', 1, (r) => (r.heartbeats > 0 ? r.loadgen.heartbeatLateMaxMs : undefined)),
  f('udpReceiveDrops', 'UDP receive-buffer drops (machine)', 0, (r) => (r.heartbeats > 0 ? r.udpReceiveDrops : undefined)),
  f('receivedMB', 'clients: bytes received (MB)', 1, (r) => r.receivedMB),
  // Not for the storm: its storm users read every line too, but only the chat users' lines count.
  f('framesPerRead', 'clients: chat lines per socket read', 1, (r) => (r.chat && !r.storm && r.reads > 0 ? r.chat.deliveries / r.reads : undefined)),
];

/** Server CPU of the chat phase (not the storm's, which is mostly bcrypt). */
function chatCpu(r: RunResult): number {
  return r.phases.find((p) => p.name === 'chat')?.serverCpuS ?? NaN;
}

const usable = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/** real/floor for every figure both runs measured (a 0/0 counts as 1: "the same"). */
export function ratios(real: RunResult, floor: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const fig of FIGURES) {
    const a = fig.get(real);
    const b = fig.get(floor);
    if (!usable(a) || !usable(b)) continue;
    if (b === 0) {
      if (a === 0) out[fig.key] = 1;
      continue;
    }
    out[fig.key] = a / b;
  }
  return out;
}

function cell(v: number | undefined, digits: number): string {
  return usable(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';
}

/** The report as a plain-text table, then the phases and anything that went wrong. */
export function formatReport(report: Report): string {
  const { real, ratios: r } = report;
  // The run beside the real one: the floor relay, or (cluster) one server.
  const floor = report.floor ?? report.single;
  const besideHead = report.floor ? ['floor', 'real/floor'] : ['one server', 'cluster/one'];
  const head = ['figure', real.target, ...(floor ? besideHead : [])];
  const rows = FIGURES.filter((fig) => usable(fig.get(real)) || (floor && usable(fig.get(floor)))).map((fig) => [
    fig.label,
    cell(fig.get(real), fig.digits),
    ...(floor ? [cell(fig.get(floor), fig.digits), r?.[fig.key] === undefined ? '-' : `${r[fig.key]!.toFixed(2)}x`] : []),
  ]);
  const lines = [
    `tinychat bench: ${report.scenario}, ${report.date}, ${report.machine.nproc} cores (${report.machine.cpu}), node ${report.machine.node}`,
    describeSizes(report.config),
    '',
    ...table([head, ...rows]),
    ...(report.hash ? hashLines(report.hash) : []),
    '',
    ...phaseLines(real),
    ...processLines(real),
    ...(floor ? phaseLines(floor) : []),
    ...(report.hashingFloor ? phaseLines(report.hashingFloor) : []),
    ...(real.serverStats ? [`server console stats: ${real.serverStats}`] : []),
    ...problems(real),
    ...(floor ? problems(floor) : []),
    ...(report.hashingFloor ? problems(report.hashingFloor) : []),
  ];
  return lines.join('\n') + '\n';
}

/** A cluster's processes, each on its own line: where the CPU went. */
function processLines(r: RunResult): string[] {
  return (r.processes ?? []).map((p) => `  ${p.name}: CPU after the login ${cell(p.cpuS, 2)} s, peak RSS ${cell(p.peakRssMB, 1)} MB`);
}

/** The raw hash rate, and the server's connect figures as multiples of it. */
function hashLines(h: NonNullable<Report['hash']>): string[] {
  const rate = (r: HashRate) => `${num(r.comparesPerS, 0)} compares/s, ${num(r.hashesPerS, 0)} hashes/s`;
  const { mean, real } = h;
  const x = (v: number) => `${num(v, 2)}x`;
  const against = (who: string, v: VersusHash) =>
    `${who} against it: logins/s ${x(v.loginsPerS)} the compare rate, registrations/s ${x(v.registrationsPerS)} the hash rate; ` +
    `CPU per login ${x(v.cpuPerLogin)} a compare, per registration ${x(v.cpuPerRegistration)} a hash`;
  return [
    '',
    `raw hash rate, ${mean.threads} thread${mean.threads > 1 ? 's' : ''} at cost ${mean.cost}: ${rate(mean)} (before the run ${rate(h.before)}; after ${rate(h.after)}); ` +
      `CPU ${num(mean.cpuMsPerCompare, 3)} ms a compare, ${num(mean.cpuMsPerHash, 3)} ms a hash`,
    against('server', real),
    // The least a login costs in Node: the floor checking the same passwords on the same hasher.
    ...(h.floor ? [against('hashing floor', h.floor)] : []),
  ];
}

function describeSizes(c: BenchConfig): string {
  const rate = c.rate > 0 ? `${c.rate} lines/s` : `as fast as possible (window ${c.window})`;
  const lines = c.messages < 0 ? 'until the storm ends' : `${c.messages} lines each`;
  const parts = [`${c.clients} clients`];
  if (c.senders > 0) parts.push(`${c.senders} senders x ${lines}, ${rate}`);
  if (c.scenario === 'idle') parts.push(`held ${c.seconds} s`);
  if (c.scenario === 'cluster') parts.push(`${c.nodes} servers on one Redis`);
  if (c.stormLogins > 0) parts.push(`${c.stormLogins} storm logins${c.register ? ' (registrations)' : ''}`);
  if (c.registrations > 0) parts.push(`then ${c.registrations} registrations`);
  if (c.scenario !== 'storm') parts.push(`bcrypt cost ${c.cost}`);
  if (c.accounts > 0) parts.push(`${c.accounts} more accounts in the users file`);
  if (c.serverArgs.length) parts.push(`server ${c.serverArgs.join(' ')}`);
  parts.push(`${c.workers} load workers`, c.heartbeat > 0 ? `heartbeat every ${c.heartbeat} s` : 'no heartbeats');
  return parts.join('; ');
}

/** Where the time went: a reader tells the bottleneck from who was busy. */
function phaseLines(r: RunResult): string[] {
  return [
    `${r.target} phases:`,
    ...r.phases.map(
      (p) =>
        `  ${p.name.padEnd(8)} ${p.seconds.toFixed(2).padStart(7)} s  server CPU ${num(p.serverCpuS, 2)} s (${pct(p.serverCpuS, p.seconds)} of a core; ` +
        `event loop ${busy(p.serverMainCpuS, p.serverMainWaitS, p.seconds)}, hash threads ${busy(p.serverLowCpuS, p.serverLowWaitS, p.seconds)}), ` +
        `load generator CPU ${num(p.loadCpuS, 2)} s (${pct(p.loadCpuS, p.seconds)} of a core), machine idle ${pct(p.machineIdle, 1)}, ` +
        `server RSS ${num(p.serverRssMB, 0)} MB (peak ${num(p.serverPeakMB, 0)})`,
    ),
  ];
}

function num(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

/** "81% (17% waiting for a CPU)": a thread's share of the wall time on a CPU, and runnable off one. */
function busy(cpu: number, wait: number, wall: number): string {
  return Number.isFinite(wait) && wait > 0 ? `${pct(cpu, wall)} (${pct(wait, wall)} waiting for a CPU)` : pct(cpu, wall);
}

function pct(cpu: number, wall: number): string {
  return Number.isFinite(cpu) && wall > 0 ? `${((100 * cpu) / wall).toFixed(0)}%` : '-';
}

function problems(r: RunResult): string[] {
  const out: string[] = [];
  const list = (title: string, t: Record<string, number> | undefined) => {
    const entries = Object.entries(t ?? {});
    if (entries.length) out.push(`${r.target} ${title}: ${entries.map(([k, v]) => `${k} x${v}`).join(', ')}`);
  };
  list('login failures', r.login.failures);
  list('storm login failures', r.storm?.failures);
  list('registration failures', r.register?.failures);
  list('connections closed', r.closed);
  list('errors', r.errors);
  if (r.notices.offline) out.push(`${r.target}: ${r.notices.offline} offline notices (heartbeats not accepted in time?)`);
  return out;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}
