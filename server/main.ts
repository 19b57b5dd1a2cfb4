#!/usr/bin/env node
/**
 * chat-server: gathers the options once (command line, TINYCHAT_* variables, a --config file; see
 * options.ts) into one ServerConfig, starts the server, prints the ready line, and wires the
 * console, the metrics endpoint and the signals. Errors end as one line and exit code 1.
 */
import { fstatSync, readFileSync } from 'node:fs';
import { hideBin } from 'yargs/helpers';
import { UsageError, commandLine, versionLine, wholeNumber } from '../common/cli.js';
import { fileProblem } from '../common/file-errors.js';
import { DEFAULTS, type LogFormat, type ServerConfig } from './config.js';
import { attachConsole, type AttachedConsole, type ConsoleTerminal } from './console.js';
import { fileWritable, listening, readiness, type ReadinessCheck } from './health.js';
import { boundedSink, fdSink, stderrSink } from './log-sinks.js';
import { createLogger, parseLogLevels } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { readMotd } from './motd.js';
import { startOps, type OpsServer } from './ops-http.js';
import {
  OPTIONS,
  byteSize,
  fromCommandLine,
  fromConfigFile,
  fromEnvironment,
  fromSource,
  maskSecrets,
  merge,
  type Gathered,
  type OptionName,
  type OptionSpec,
} from './options.js';
import { ProcessOutput } from './process-output.js';
import { channelProblem } from './net/irc/parse.js';
import { importUsers } from './cluster/import.js';
import { renameUser } from './store/rename-user.js';
import { ChatServer } from './server.js';

/** Console output (the ready line, answers, online lists) a stdout nobody reads may hold. */
const STDOUT_BACKLOG = 1024 * 1024;
/**
 * A graceful stop takes at most a few seconds (the listener waits 3 s for peers that never read,
 * see net/listener.ts); past this something hangs, and the process leaves anyway.
 */
const STOP_LIMIT_MS = 15_000;

interface Parsed {
  config: ServerConfig;
  /** --import-users: the users file to copy into the cluster's Redis (and exit). */
  importUsers: string | undefined;
  /** --rename-user OLD NEW: the account to rename in the users file, and its new name (and exit). */
  renameUser: [string, string] | undefined;
  /** The effective options as --print-config shows them (before masking). */
  shown: Record<string, unknown>;
  print: boolean;
}

const USAGE =
  '$0 [options]\n\nRuns the chat server. Every option may also come from a TINYCHAT_* environment variable ' +
  '(TINYCHAT_MAX_OUTPUT for --max-output) or a --config JSON file; the command line wins, then the environment, ' +
  'then the file.\nConsole commands: online, stats, kick NAME [reason], mute NAME SECONDS, wall TEXT, motd, Terminate server, help.';

function parse(argv: string[], env: NodeJS.ProcessEnv): Parsed {
  let y = commandLine(argv, 'chat-server', USAGE).version(versionLine('chat-server'));
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    // No yargs default: what was not given must fall through to the environment and the file.
    const shown = spec.default === undefined ? {} : { defaultDescription: spec.default === '' ? '""' : String(spec.default) };
    const nargs = 'nargs' in spec ? { nargs: spec.nargs } : {};
    y = y.option(name, { type: spec.kind, describe: spec.describe, ...shown, ...nargs });
  }
  const cli = fromCommandLine(y.parseSync() as Record<string, unknown>);
  const environment = fromEnvironment(env);
  const path = (cli.values.config ?? environment.values.config) as string | undefined;
  const file = path === undefined ? merge() : fromConfigFile(path, readConfigFile(path));
  const all = merge(file, environment, cli);
  const importUsers = all.values['import-users'] as string | undefined;
  const config = toConfig(all);
  if (importUsers !== undefined && !config.redis) throw new UsageError('--import-users copies accounts into a cluster\'s Redis: it needs --redis');
  if (importUsers !== undefined && importUsers.trim() === '') throw new UsageError('invalid --import-users: empty');
  const renameUser = all.values['rename-user'] as unknown as [string, string] | undefined;
  // Accounts on a cluster are also in every running server's memory, which learns new ones only.
  if (renameUser !== undefined && config.redis) throw new UsageError('--rename-user renames in a users file; with --redis the accounts are in Redis, where it cannot rename them (README, "Accounts under names now refused")');
  return { config, importUsers, renameUser, shown: effective(all), print: all.values['print-config'] === true };
}

function readConfigFile(path: string): string {
  if (path.trim() === '') throw new UsageError('invalid --config: empty');
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read config file ${path}: ${fileProblem(e)}`);
  }
}

/** Every option's value, given or default, by its command-line name (not --config, --print-config). */
function effective({ values }: Gathered): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    if (spec.commandLineOnly) continue;
    const v = values[name] ?? spec.default;
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** The merged values as one ServerConfig, each checked as the command line always was. */
function toConfig({ values, sources }: Gathered): ServerConfig {
  const d = DEFAULTS;
  /** Runs a check; its error names where the value came from. */
  const checked = <T>(name: OptionName, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw fromSource(e, sources[name]);
    }
  };
  const num = (name: OptionName, fallback: number, min: number, max?: number) =>
    checked(name, () => wholeNumber(name, (values[name] ?? fallback) as number, min, max));
  const optNum = (name: OptionName, min: number, max?: number) =>
    values[name] === undefined ? undefined : checked(name, () => wholeNumber(name, values[name] as number, min, max));
  const str = (name: OptionName, fallback: string) => (values[name] ?? fallback) as string;
  const optStr = (name: OptionName) => values[name] as string | undefined;
  const nonEmpty = (name: OptionName, fallback: string) => {
    const v = str(name, fallback);
    if (v.trim() === '') throw fromSource(new UsageError(`invalid --${name}: empty`), sources[name]);
    return v;
  };
  const oneOf = <T extends string>(name: OptionName, fallback: T, allowed: readonly T[]): T => {
    const v = str(name, fallback);
    if ((allowed as readonly string[]).includes(v)) return v as T;
    throw fromSource(new UsageError(`invalid --${name} ${JSON.stringify(v)}: use ${allowed.join(' or ')}`), sources[name]);
  };

  const tlsCert = optStr('tls-cert');
  const tlsKey = optStr('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const motd = optStr('motd');
  return {
    host: nonEmpty('host', d.host),
    port: num('port', d.port, 0, 65535),
    udpPort: optNum('udp-port', 0, 65535),
    db: nonEmpty('db', d.db),
    log: str('log', d.log),
    logLevels: checked('log-level', () => parseLogLevels(str('log-level', 'info'))),
    logFormat: oneOf<LogFormat>('log-format', d.logFormat, ['text', 'json']),
    logMaxSize: checked('log-max-size', () => byteSize('log-max-size', str('log-max-size', String(d.logMaxSize)))),
    logBackups: num('log-backups', d.logBackups, 0, 1000),
    metricsPort: optNum('metrics-port', 0, 65535),
    metricsHost: nonEmpty('metrics-host', d.metricsHost),
    ...(motd ? { motd } : {}),
    bcryptCost: num('bcrypt-cost', d.bcryptCost, 4, 31),
    allowGuests: (values['allow-guests'] ?? d.allowGuests) as boolean,
    maxBody: num('max-body', d.maxBody, 1),
    pmTimeout: num('pm-timeout', d.pmTimeout, 1),
    maxPmRequests: num('max-pm-requests', d.maxPmRequests, 1),
    rateCount: num('rate-count', d.rateCount, 1),
    rateWindow: num('rate-window', d.rateWindow, 1),
    muteSeconds: num('mute-seconds', d.muteSeconds, 1),
    heartbeatTimeout: num('heartbeat-timeout', d.heartbeatTimeout, 1),
    loginTimeout: num('login-timeout', d.loginTimeout, 1),
    // A join notice carries the online list; past 1,000 names it would not fit a frame header.
    announceLimit: num('announce-limit', d.announceLimit, 0, 1000),
    maxConnections: num('max-connections', d.maxConnections, 1),
    maxPerAddress: num('max-per-address', d.maxPerAddress, 1),
    maxOutput: num('max-output', d.maxOutput, 1024),
    maxBacklog: num('max-backlog', d.maxBacklog, 0),
    minPassword: num('min-password', d.minPassword, 0),
    maxFailures: num('max-failures', d.maxFailures, 1),
    maxRegistrations: num('max-registrations', d.maxRegistrations, 1),
    hashThreads: num('hash-threads', d.hashThreads, 1),
    hashQueue: num('hash-queue', d.hashQueue, 0),
    tlsCert,
    tlsKey,
    dataDir: nonEmpty('data-dir', d.dataDir),
    historyDays: num('history-days', d.historyDays, 0, 3650),
    historyMax: num('history-max', d.historyMax, 1, 10_000_000),
    historyOnJoin: num('history-on-join', d.historyOnJoin, 0, 200),
    offlineMax: num('offline-max', d.offlineMax, 0, 10_000),
    offlineDays: num('offline-days', d.offlineDays, 1, 3650),
    ...clusterOptions(optStr('redis'), optStr('node-id'), (values['redis-ephemeral'] ?? d.redisEphemeral) as boolean),
    maxFile: num('max-file', d.maxFile, 0),
    fileRate: num('file-rate', d.fileRate, 1024),
    ...ircOptions(optNum('irc-port', 0, 65535), optNum('irc-tls-port', 0, 65535), str('irc-channel', d.ircChannel), tlsCert !== undefined),
  };
}

/** The option that set a TCP port which could not be bound: an IRC one, or --port. */
function ircOption(port: number | undefined, config?: ServerConfig): string {
  if (port !== undefined && port !== 0 && port === config?.ircPort) return '--irc-port';
  if (port !== undefined && port !== 0 && port === config?.ircTlsPort) return '--irc-tls-port';
  return '--port';
}

/** --irc-port, --irc-tls-port (which needs the TLS files), --irc-channel (a valid channel name). */
function ircOptions(ircPort: number | undefined, ircTlsPort: number | undefined, ircChannel: string, tls: boolean): Pick<ServerConfig, 'ircPort' | 'ircTlsPort' | 'ircChannel'> {
  if (ircTlsPort !== undefined && !tls) throw new UsageError('--irc-tls-port needs --tls-cert and --tls-key');
  const problem = channelProblem(ircChannel);
  if (problem) throw new UsageError(`invalid --irc-channel ${JSON.stringify(ircChannel)}: ${problem}`);
  return { ircPort, ircTlsPort, ircChannel };
}

function clusterOptions(redis: string | undefined, nodeId: string | undefined, ephemeral: boolean): Pick<ServerConfig, 'redis' | 'nodeId' | 'redisEphemeral'> {
  if (redis === undefined) {
    if (nodeId !== undefined) throw new UsageError('--node-id names a server in a cluster: it needs --redis');
    return { redisEphemeral: ephemeral };
  }
  if (!/^rediss?:\/\/[^\s]+$/.test(redis)) throw new UsageError(`invalid --redis ${JSON.stringify(redis)}: use a URL like redis://127.0.0.1:6379`);
  if (nodeId !== undefined && (nodeId.trim() === '' || nodeId.length > 64)) throw new UsageError('invalid --node-id: use 1 to 64 characters');
  return { redis, redisEphemeral: ephemeral, ...(nodeId !== undefined ? { nodeId } : {}) };
}

/**
 * Turns a start-up failure into the one line a user needs. Every listener's socket errors come
 * here: the chat's (TCP, UDP, IRC) and the metrics endpoint's (marked `listener: 'metrics'`).
 */
function explain(e: unknown, config?: ServerConfig): string {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number; listener?: 'metrics' };
  const metrics = err.listener === 'metrics';
  // Socket errors name the address and port that failed: the UDP one may differ from --port.
  const where = err.port !== undefined ? `${err.address}:${err.port}` : !config ? '' : metrics ? `${config.metricsHost}:${config.metricsPort}` : `${config.host}:${config.port}`;
  const udp = err.syscall === 'bind';
  switch (err.code) {
    case 'EADDRINUSE':
      if (metrics) return `metrics port ${where} already in use (try another --metrics-port)`;
      return udp
        ? `UDP port already in use: ${where} (another server running? try --udp-port 0)`
        : `TCP port already in use: ${where} (another server running? try ${ircOption(err.port, config)} 0)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return metrics ? `cannot listen on --metrics-host ${config?.metricsHost}: no such local address` : `cannot listen on host ${config?.host}: no such local address`;
    case 'EACCES':
      return `permission denied to listen on ${metrics ? 'metrics port ' : ''}${where} (ports below 1024 need privileges)`;
    default:
      return err.message ?? String(e);
  }
}

/** Whether two of the process's file descriptors lead to the same file, pipe or terminal. */
function samePlace(a: number, b: number): boolean {
  try {
    const [x, y] = [fstatSync(a), fstatSync(b)];
    return x.dev === y.dev && x.ino === y.ino && x.rdev === y.rdev;
  } catch {
    return false;
  }
}

/**
 * The process's output, in one order (process-output.ts), and on a terminal what the console
 * needs of it. On a terminal everything is written from the thread pool, readline's echo too, so a
 * terminal that stops reading (Ctrl-S) stalls output, not the server.
 */
function processOutput(): { output: ProcessOutput; terminal?: ConsoleTerminal } {
  // A closed stdout (piped into `head`, say) costs the console its answers, not the users
  // their server; a stdout nobody reads holds at most a megabyte of them.
  process.stdout.on('error', () => {});
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const merged = samePlace(1, 2);
  const err = stderrSink();
  const out = interactive ? fdSink(1, STDOUT_BACKLOG, 'console') : merged ? err : boundedSink(process.stdout, STDOUT_BACKLOG, 'console');
  const output = new ProcessOutput(out, merged ? null : err);
  if (!interactive) return { output };
  return {
    output,
    terminal: {
      raw: (text) => output.raw(text),
      hold: (prompt) => output.hold(prompt),
      get columns() {
        return process.stdout.columns ?? 80;
      },
      onResize: (f) => void process.stdout.on('resize', f),
    },
  };
}

/** What runs beside the server and stops after it. */
interface Serving {
  output: ProcessOutput;
  terminal: ConsoleTerminal | undefined;
  ops: OpsServer | null;
  metrics: Metrics | null;
}

/**
 * Runs until told to stop, and then stops once: on SIGINT or SIGTERM, when npm start's launcher
 * goes away, or on the console's `terminate server`. The console is attached last, so it only
 * ever sees a running server.
 */
function serveUntilStopped(server: ChatServer, { output, terminal, ops, metrics }: Serving): void {
  let operatorConsole: AttachedConsole | null = null;
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // Under a service manager the stop must end: whatever hangs, the process leaves in time.
    setTimeout(() => {
      process.stderr.write(`chat-server: the graceful stop took over ${STOP_LIMIT_MS / 1000} s; leaving now\n`);
      process.exit(1);
    }, STOP_LIMIT_MS).unref();
    operatorConsole?.close();
    metrics?.close();
    void server
      .stop()
      .then(() => ops?.close())
      .then(() => output.end())
      .then(() => process.exit(0));
  };
  // stop() is idempotent: a Ctrl-C that reaches npm start's launcher and this process both
  // (one process group) stops the server once; STOP_LIMIT_MS bounds the stop.
  // Each cause is logged: an operator reading why a server stopped finds it in the log.
  const stopFor = (why: string) => () => {
    if (!stopping) server.log.info(`${why}: stopping the server`);
    stop();
  };
  process.on('SIGINT', stopFor('SIGINT'));
  process.on('SIGTERM', stopFor('SIGTERM'));
  // Started by npm start's launcher (scripts/run.mjs), with an IPC channel that closes when the
  // launcher dies, even by SIGKILL: stop rather than live on holding the port and the lock.
  process.channel?.unref();
  process.once('disconnect', stopFor("npm start's launcher is gone"));
  // A service manager's other signals must not kill the server: SIGHUP reopens the log file
  // (logrotate moved it away); SIGUSR2 is only noted.
  process.on('SIGHUP', () => {
    server.log.reopen();
    server.log.info('SIGHUP: log file reopened');
  });
  process.on('SIGUSR2', () => server.log.info('SIGUSR2 received and ignored'));
  operatorConsole = attachConsole(server, process.stdin, { write: (text) => output.print(text) }, stop, terminal);
}

async function main(): Promise<void> {
  let config: ServerConfig | undefined;
  try {
    const parsed = parse(hideBin(process.argv), process.env);
    if (parsed.print) {
      process.stdout.write(`${JSON.stringify(maskSecrets(parsed.shown), null, 2)}\n`);
      return;
    }
    config = parsed.config;
    if (parsed.importUsers !== undefined) {
      process.stdout.write(`${await importUsers(config.redis!, parsed.importUsers, config.redisEphemeral)}\n`);
      return;
    }
    if (parsed.renameUser !== undefined) {
      process.stdout.write(`${renameUser(config.db, ...parsed.renameUser)}\n`);
      return;
    }
    // Read before anything is written: a bad file ends the start like a bad option.
    const motd = config.motd ? readMotd(config.motd) : null;
    const { output, terminal } = processOutput();
    const { logLevels: levels, logFormat: format, logMaxSize: maxSize, logBackups: backups } = config;
    const log = createLogger(config.log, { console: (text) => output.log(text), levels, format, maxSize, backups });
    const server = new ChatServer(config, { logger: log });
    server.room.motd = motd;
    const metrics = config.metricsPort === undefined ? null : createMetrics(server);
    // Readiness: listening, and the account store usable (the users file writable, or Redis reachable).
    const { cluster } = server;
    const store: ReadinessCheck = cluster ? { name: 'redis', check: () => cluster.ready() } : fileWritable('users file', config.db);
    const checks: ReadinessCheck[] = [listening(() => server.serving), store];
    // Bound before the server starts, so a metrics port in use stops it before anything is written.
    let ops: OpsServer | null = null;
    if (metrics) {
      ops = await startOps(config.metricsHost, config.metricsPort!, { metrics: () => metrics.scrape(), ready: () => readiness(checks) }).catch(async (e) => {
        await log.close();
        throw e;
      });
    }
    const { port, udpPort } = await server.start().catch(async (e) => {
      await ops?.close();
      await log.close();
      throw e;
    });
    output.print(`Server listening on ${server.urls(port, udpPort)}\n`);
    if (config.ircPort !== undefined || config.ircTlsPort !== undefined) output.print(`IRC listening on ${server.ircUrls()}\n`);
    if (ops) output.print(`Metrics on http://${config.metricsHost}:${ops.port}/metrics (and /healthz, /readyz)\n`);
    serveUntilStopped(server, { output, terminal, ops, metrics });
  } catch (e) {
    process.stderr.write(`chat-server: ${explain(e, config)}\n`);
    process.exit(1);
  }
}

void main();
