/**
 * The named workloads of issue 5 and the one configuration type the whole bench runs from.
 * A scenario is its default sizes (full and --quick), the phases it runs after the login, and the
 * server options it needs; every size can be overridden on the command line.
 */
import { dirname, join } from 'node:path';
import { UsageError } from '../common/cli.js';
import { DEFAULTS } from '../server/config.js';

export const SCENARIO_NAMES = ['fanout', 'paced', 'idle', 'storm', 'connect', 'cluster'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** What runs after the chat clients have logged in. */
type Phase = 'chat' | 'hold' | 'storm' | 'register';

export interface BenchConfig {
  scenario: ScenarioName;
  /** Clients that log in first and receive (and count) every chat line. */
  clients: number;
  /** How many of those clients send. */
  senders: number;
  /** Lines per sender (-1: until the storm is over). */
  messages: number;
  /** Lines per second over all senders; 0 = as fast as possible (closed loop, see senders.ts). */
  rate: number;
  /** Seconds to hold idle clients (idle); the paced duration (paced). */
  seconds: number;
  /** Storm: logins at bcrypt cost 10 while the chat goes on. */
  stormLogins: number;
  /** Storm: register the storm users (hash + users-file write) instead of logging in. */
  register: boolean;
  /** Cluster: servers on one Redis (the clients are spread over them). */
  nodes: number;
  /** Connect: clients that log in for the first time (a registration each) after the others. */
  registrations: number;
  /** Accounts in the users file beyond the run's own, none of which logs in (a large users file). */
  accounts: number;
  /**
   * bcrypt cost of the run's accounts and of the spawned server's registrations (--bcrypt-cost);
   * the storm's own accounts are always at the server's default cost, 10.
   */
  cost: number;
  /** Connect: seconds of each raw hash-rate measurement. */
  hashSeconds: number;
  /** Load-generator processes. */
  workers: number;
  /** Closed loop: lines each sender may have in flight. */
  window: number;
  /** Logins in flight per worker (0 = all at once). */
  concurrency: number;
  /** Seconds between heartbeats; 0 sends none. */
  heartbeat: number;
  /** Seconds a client waits for its login_ok. */
  loginTimeout: number;
  /** An already running server to target instead of starting one (and its pid, to measure it). */
  host?: string;
  /** That server speaks IRC (ngircd, say): paced runs only, no heartbeats. */
  irc: boolean;
  port?: number;
  serverPid?: number;
  /** Also run the workload against the floor relay and report real/floor. */
  floor: boolean;
  /** Where to write the JSON report ("-" for stdout); undefined: no JSON. */
  json?: string;
  quick: boolean;
  /** Extra options for a spawned server (experiments: "--hash-threads 1"). */
  serverArgs: string[];
  /** Write a CPU profile of the target and of each load-generator worker into this folder (node --cpu-prof). */
  profile?: string;
  /** Only write the users file for this run to this path, and exit. */
  makeUsers?: string;
  /** Show a progress bar (only ever on a terminal). */
  progress: boolean;
}

/** What a scenario fixes, in full and in --quick runs. */
type Sizes = Pick<BenchConfig, 'clients' | 'senders' | 'messages' | 'rate' | 'seconds' | 'stormLogins' | 'registrations'>;

interface Scenario {
  describe: string;
  full: Sizes;
  quick: Sizes;
  phases: Phase[];
}

const none = { stormLogins: 0, registrations: 0 };

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  fanout: {
    describe: '1,000 clients; 10 senders x 1,000 lines as fast as possible',
    full: { ...none, clients: 1000, senders: 10, messages: 1000, rate: 0, seconds: 0 },
    quick: { ...none, clients: 5, senders: 2, messages: 20, rate: 0, seconds: 0 },
    phases: ['chat'],
  },
  paced: {
    describe: '1,000 clients; 200 lines/s in total for 10 s (latency at moderate load)',
    full: { ...none, clients: 1000, senders: 10, messages: -1, rate: 200, seconds: 10 },
    quick: { ...none, clients: 5, senders: 2, messages: -1, rate: 100, seconds: 1 },
    phases: ['chat'],
  },
  idle: {
    describe: '10,000 clients logged in and heartbeating, held 30 s (RSS per client, CPU)',
    full: { ...none, clients: 10_000, senders: 0, messages: 0, rate: 0, seconds: 30 },
    quick: { ...none, clients: 20, senders: 0, messages: 0, rate: 0, seconds: 2 },
    phases: ['hold'],
  },
  storm: {
    describe: '1,000 logins at bcrypt cost 10 while 100 clients chat at 200 lines/s',
    full: { clients: 100, senders: 100, messages: -1, rate: 200, seconds: 0, stormLogins: 1000, registrations: 0 },
    quick: { clients: 5, senders: 5, messages: -1, rate: 50, seconds: 0, stormLogins: 10, registrations: 0 },
    phases: ['storm'],
  },
  connect: {
    describe: '5,000 clients log in to their accounts, then 5,000 register (bcrypt cost 4), beside the raw hash rate',
    full: { ...none, clients: 5000, senders: 0, messages: 0, rate: 0, seconds: 0, registrations: 5000 },
    quick: { ...none, clients: 10, senders: 0, messages: 0, rate: 0, seconds: 0, registrations: 10 },
    phases: ['register'],
  },
  cluster: {
    describe: 'fanout on --nodes servers (3) sharing one Redis, clients spread over them; then on one server',
    full: { ...none, clients: 1000, senders: 10, messages: 1000, rate: 0, seconds: 0 },
    quick: { ...none, clients: 6, senders: 3, messages: 20, rate: 0, seconds: 0 },
    phases: ['chat'],
  },
};

/** bcrypt cost of the run's accounts: low, so that a run is about the server, except in the storm. */
export const RUN_COST = 4;
/** The server's default cost, which the storm measures. */
export const STORM_COST = 10;

/** Scenario sizes, overridden by whatever the command line set. */
export function sizesFor(name: ScenarioName, quick: boolean, given: Partial<Sizes>): Sizes {
  const base = quick ? SCENARIOS[name].quick : SCENARIOS[name].full;
  const sizes = { ...base, ...definedOnly(given) };
  sizes.senders = Math.min(sizes.senders, sizes.clients);
  // Paced: the line count follows from rate x duration unless given.
  if (sizes.messages < 0 && name === 'paced') {
    sizes.messages = sizes.senders > 0 ? Math.round((sizes.rate * sizes.seconds) / sizes.senders) : 0;
  }
  return sizes;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Server options for a spawned server. Limits are raised so the bench is not refused as one
 * address with thousands of connections, and the flood limit is set so high it never mutes a
 * sender (it still runs on every line, so its cost is measured).
 */
export function serverArgs(config: BenchConfig, db: string, log: string): string[] {
  const args = ['--port', '0', '--udp-port', '0', '--db', db, '--log', log, '--data-dir', join(dirname(db), 'data')];
  args.push('--max-per-address', '100000', '--max-connections', '100000');
  args.push('--rate-count', '1000000000', '--rate-window', '1', '--max-registrations', '1000000000');
  args.push('--bcrypt-cost', String(config.scenario === 'storm' ? STORM_COST : config.cost));
  return [...args, ...config.serverArgs];
}

/** The server's hash threads: --hash-threads among the server options, or the server's default. */
export function hashThreads(serverArgs: string[]): number {
  const at = serverArgs.lastIndexOf('--hash-threads');
  if (at < 0) return DEFAULTS.hashThreads;
  const n = Number(serverArgs[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`invalid --server-args: --hash-threads ${serverArgs[at + 1] ?? '(no value)'} (use a whole number from 1)`);
  return n;
}
