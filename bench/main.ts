#!/usr/bin/env node
/**
 * `npm run bench`: parses the command line once into a BenchConfig, runs the workload against the
 * real server (and the floor relay with --floor), prints the table on stdout and, with --json,
 * writes the same figures as JSON. `runBench` is the entry the smoke spec calls.
 */
import { availableParallelism, cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { hideBin } from 'yargs/helpers';
import { UsageError, commandLine, optionalWholeNumber, wholeNumber } from '../common/cli.js';
import { BenchError } from './errors.js';
import { createProgress } from './progress.js';
import { hashRate, meanRate } from './hash-rate.js';
import { formatReport, ratios, versusHash, type Report } from './report.js';
import { clientSpecs, runWorkload, usersFileOf } from './run.js';
import { writeUsersFile } from './accounts.js';
import { RUN_COST, SCENARIO_NAMES, SCENARIOS, hashThreads, sizesFor, type BenchConfig, type ScenarioName } from './scenarios.js';

const scenarioHelp = SCENARIO_NAMES.map((n) => `  ${n.padEnd(7)} ${SCENARIOS[n].describe}`).join('\n');

/** Command line → BenchConfig. Sizes left out come from the scenario (or its --quick sizes). */
export function parseArgs(argv: string[]): BenchConfig {
  const a = commandLine(argv, 'npm run bench --', `$0 [options]\n\nLoad test of the chat server over the real protocol.\n\nScenarios:\n${scenarioHelp}`)
    .option('scenario', { alias: 's', choices: SCENARIO_NAMES, default: 'fanout' as ScenarioName, describe: 'Workload to run' })
    .option('clients', { alias: 'n', type: 'number', describe: 'Clients that log in and receive every line' })
    .option('senders', { type: 'number', describe: 'How many of the clients send' })
    .option('messages', { alias: 'm', type: 'number', describe: 'Lines per sender (paced: rate x seconds / senders)' })
    .option('rate', { type: 'number', describe: 'Lines per second in total; 0 = as fast as possible (closed loop)' })
    .option('seconds', { type: 'number', describe: 'Paced: duration; idle: how long to hold the clients' })
    .option('storm-logins', { type: 'number', describe: 'Storm: logins at bcrypt cost 10 during the chat' })
    .option('register', { type: 'boolean', default: false, describe: 'Storm: the storm users register instead of logging in' })
    .option('nodes', { type: 'number', describe: 'Cluster: servers sharing one Redis (default 3)' })
    .option('registrations', { type: 'number', describe: 'Connect: clients that register (log in for the first time) after the others have logged in' })
    .option('accounts', { type: 'number', default: 0, describe: 'Accounts in the users file beyond the run\'s own, which nobody logs in to (e.g. 100000)' })
    .option('cost', { type: 'number', default: RUN_COST, describe: 'bcrypt cost of the run\'s accounts and of registrations (the storm\'s: always 10)' })
    .option('hash-seconds', { type: 'number', default: 3, describe: 'Connect: seconds each raw hash-rate measurement runs (compares, then hashes; before and after the server\'s run)' })
    .option('workers', { alias: 'w', type: 'number', default: 2, describe: 'Load-generator processes' })
    .option('window', { type: 'number', default: 50, describe: 'As fast as possible: lines in flight per sender' })
    .option('concurrency', { type: 'number', default: 100, describe: 'Logins in flight per worker (0 = all at once; storm logins are always all at once)' })
    .option('heartbeat', { type: 'number', default: 5, describe: 'Seconds between heartbeats (0 = none)' })
    .option('login-timeout', { type: 'number', default: 120, describe: 'Seconds a client waits for login_ok' })
    .option('host', { type: 'string', describe: 'Target a running server at this host (with --port) instead of starting one' })
    .option('port', { type: 'number', describe: 'Port of a running server to target' })
    .option('server-pid', { type: 'number', describe: 'Pid of that server, to measure its CPU and RSS' })
    .option('irc', { type: 'boolean', default: false, describe: 'Speak IRC: to the IRC daemon at --host/--port (ngircd, say; paced only), or without --port to the server the bench starts, over its --irc-port (paced, fanout); no heartbeats' })
    .option('make-users', { type: 'string', describe: 'Only write the users file for these sizes (to start your own server on it, e.g. with --cpu-prof) and exit' })
    .option('server-args', { type: 'string', default: '', describe: 'Extra options for the server the bench starts, e.g. --server-args="--hash-threads 1"' })
    .option('profile', { type: 'string', describe: 'Write CPU profiles (node --cpu-prof) of the server or floor and of each load-generator worker into this folder' })
    .option('floor', { type: 'boolean', default: false, describe: 'Also run against the floor relay and print real/floor (connect: also against the hashing floor, which checks passwords as the server does)' })
    // nargs 1: "--json -" takes the "-" (stdout), and a bare --json is refused, not taken as "".
    .option('json', { type: 'string', nargs: 1, describe: 'Write the report as JSON to this file ("-": to stdout, and the table to stderr)' })
    .option('quick', { type: 'boolean', default: false, describe: 'Tiny sizes: a smoke test' })
    .option('progress', { type: 'boolean', default: true, describe: 'Progress bar on a terminal (--no-progress: none)' })
    .parseSync();

  const scenario = a.scenario as ScenarioName;
  // What was typed is checked as typed (sizesFor uses -1 for "until the storm ends", which is no
  // value for a user to give: a closed loop would never finish).
  optionalWholeNumber('messages', a.messages, 0);
  optionalWholeNumber('seconds', a.seconds, 1);
  optionalWholeNumber('storm-logins', a.stormLogins, 0);
  optionalWholeNumber('registrations', a.registrations, 0);
  if (scenario !== 'connect' && a.registrations !== undefined) throw new UsageError('--registrations goes with --scenario connect');
  if (scenario !== 'storm' && (a.stormLogins !== undefined || a.register)) {
    throw new UsageError('--storm-logins and --register go with --scenario storm');
  }
  if (scenario !== 'cluster' && a.nodes !== undefined) throw new UsageError('--nodes goes with --scenario cluster');
  if (scenario === 'cluster' && (a.port !== undefined || a.irc || a.floor)) throw new UsageError('--scenario cluster starts its own servers and Redis: no --port, --irc or --floor');
  if (!(a.heartbeat >= 0)) throw new UsageError(`invalid --heartbeat ${a.heartbeat}: use 0 (none) or more seconds`);
  if (!(a.loginTimeout > 0)) throw new UsageError(`invalid --login-timeout ${a.loginTimeout}: use more than 0 seconds`);
  const sizes = sizesFor(scenario, a.quick, {
    clients: a.clients,
    senders: a.senders,
    messages: a.messages,
    rate: a.rate,
    seconds: a.seconds,
    stormLogins: a.stormLogins,
    registrations: a.registrations,
  });
  wholeNumber('clients', sizes.clients, 1);
  wholeNumber('senders', sizes.senders, 0);
  if (!(sizes.rate >= 0)) throw new UsageError(`invalid --rate ${sizes.rate}: use 0 or more lines per second`);
  if (a.host !== undefined && a.port === undefined) throw new UsageError('--host needs --port');
  // IRC sends a line to everyone but its sender: an IRC daemon gives the closed loop no echo to
  // wait for. tinychat's own IRC listener does, on request (echo-message).
  if (a.irc && a.port !== undefined && scenario !== 'paced') throw new UsageError('--irc with --port (an IRC daemon) runs the paced scenario only');
  if (a.irc && scenario !== 'paced' && scenario !== 'fanout') throw new UsageError('--irc runs the paced and fanout scenarios');
  return {
    scenario,
    ...sizes,
    register: a.register,
    nodes: wholeNumber('nodes', a.nodes ?? 3, 2, 16),
    accounts: wholeNumber('accounts', a.accounts, 0),
    cost: wholeNumber('cost', a.cost, 4, 31),
    hashSeconds: a.quick ? 0.2 : positive('hash-seconds', a.hashSeconds),
    serverArgs: serverArgsOf(a.serverArgs),
    workers: wholeNumber('workers', a.workers, 1),
    window: wholeNumber('window', a.window, 1),
    concurrency: wholeNumber('concurrency', a.concurrency, 0),
    heartbeat: a.irc ? 0 : a.heartbeat, // IRC has no UDP presence
    loginTimeout: a.loginTimeout,
    ...(a.port !== undefined ? { host: a.host ?? '127.0.0.1', port: wholeNumber('port', a.port, 1, 65535) } : {}),
    irc: a.irc,
    ...(a.serverPid !== undefined ? { serverPid: a.serverPid } : {}),
    floor: a.floor,
    ...(a.json !== undefined ? { json: a.json } : {}),
    ...(a.makeUsers !== undefined ? { makeUsers: a.makeUsers } : {}),
    ...(a.profile !== undefined ? { profile: a.profile } : {}),
    quick: a.quick,
    progress: a.progress,
  };
}

/** --server-args as words; a --hash-threads among them is checked, since the bench uses it too. */
function serverArgsOf(text: string): string[] {
  const words = text.split(/\s+/).filter((s) => s !== '');
  hashThreads(words);
  return words;
}

function positive(name: string, v: number): number {
  if (!(v > 0)) throw new UsageError(`invalid --${name} ${v}: use more than 0`);
  return v;
}

/**
 * Runs the workload (then against the floor, with --floor) and returns the report. Connect also
 * measures the raw hash rate of the server's hash threads, just before and just after the
 * server's run (and, with --floor, the hashing floor's, run right after it), with nothing else
 * running.
 */
export async function runBench(config: BenchConfig): Promise<Report> {
  const progress = createProgress(config.progress);
  if (config.scenario === 'cluster') {
    // The same workload on the cluster, then on one server: what the cluster costs and gives.
    const real = await runWorkload(config, 'cluster', progress);
    const single = await runWorkload(config, 'server', progress);
    progress.stop();
    return { ...reportHead(config), real, single, ratios: ratios(real, single) };
  }
  const connect = config.scenario === 'connect';
  const threads = hashThreads(config.serverArgs);
  const measureHash = async () => {
    progress.phase('raw hash rate', 1);
    const rate = await hashRate(threads, config.cost, config.hashSeconds);
    progress.update(1);
    return rate;
  };
  const before = connect ? await measureHash() : null;
  const real = await runWorkload(config, 'server', progress);
  // Connect: also the floor that checks passwords as the server does, the least a login costs;
  // between the same two measurements of the raw rate as the server, which both are held to.
  const hashing = connect && config.floor ? await runWorkload(config, 'hashing-floor', progress) : undefined;
  const after = connect ? await measureHash() : null;
  const floor = config.floor ? await runWorkload(config, 'floor', progress) : undefined;
  progress.stop();
  const mean = before && after ? meanRate(before, after) : null;
  return {
    ...reportHead(config),
    real,
    ...(floor ? { floor, ratios: ratios(real, floor) } : {}),
    ...(hashing ? { hashingFloor: hashing } : {}),
    ...(before && after && mean && real.connect
      ? { hash: { before, after, mean, real: versusHash(real.connect, mean), ...(hashing?.connect ? { floor: versusHash(hashing.connect, mean) } : {}) } }
      : {}),
  };
}

function reportHead(config: BenchConfig): Pick<Report, 'scenario' | 'date' | 'machine' | 'config'> {
  return {
    scenario: config.scenario,
    date: new Date().toISOString(),
    machine: { nproc: availableParallelism(), node: process.version, cpu: cpus()[0]?.model.trim() ?? 'unknown' },
    config,
  };
}


/** The command: parse, run, print. Resolves with the report (for callers that want it). */
export async function main(argv: string[]): Promise<Report | null> {
  const config = parseArgs(argv);
  if (config.makeUsers !== undefined) {
    writeUsersFile(config.makeUsers, clientSpecs(config), usersFileOf(config));
    process.stderr.write(`bench: wrote ${config.makeUsers}\n`);
    return null;
  }
  const report = await runBench(config);
  const text = formatReport(report);
  const json = JSON.stringify(report, null, 2);
  if (config.json === '-') {
    process.stderr.write(text);
    process.stdout.write(`${json}\n`);
  } else {
    process.stdout.write(text);
    if (config.json !== undefined) writeFileSync(config.json, `${json}\n`);
  }
  return report;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // The report is written last, after every target has stopped: a reader that has gone is no error.
  process.stdout.on('error', () => process.exit(0));
  main(hideBin(process.argv)).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`bench: ${e instanceof BenchError || e instanceof UsageError ? e.message : ((e as Error).stack ?? e)}\n`);
      process.exit(1);
    },
  );
}
