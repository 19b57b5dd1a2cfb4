/**
 * chat-server's command line: the options gathered once from the command line, the TINYCHAT_*
 * variables and a --config file (see options.ts), checked and turned into the one ServerConfig,
 * with the one-shot tasks (--import-users, --rename-user, --print-config) picked out. Every
 * refusal is a UsageError naming the option and where its value came from; main.ts prints it.
 */
import { readFileSync } from 'node:fs';
import { UsageError, commandLine, versionLine, wholeNumber } from '../common/cli.js';
import { fileProblem } from '../common/file-errors.js';
import { DEFAULTS, type LogFormat, type ServerConfig } from './config.js';
import { parseLogLevels } from './logger.js';
import { channelProblem } from './net/irc/parse.js';
import {
  OPTIONS,
  byteSize,
  fromCommandLine,
  fromConfigFile,
  fromEnvironment,
  fromSource,
  merge,
  type Gathered,
  type OptionName,
  type OptionSpec,
} from './options.js';

export interface Parsed {
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

export function parse(argv: string[], env: NodeJS.ProcessEnv): Parsed {
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
  const config: ServerConfig = {
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
  const clash = portClash(config);
  if (clash) throw new UsageError(clash);
  return config;
}

/** Addresses that cover every other of their family: a port there is taken on all of them. */
const ANY_HOST = new Set(['0.0.0.0', '::', '']);

/**
 * Two of the server's own TCP listeners given one port (`--irc-port 5555` beside the default
 * --port): said in one line naming both options, where the second listen failed as "TCP port
 * already in use (another server running? try --port 0)", naming another server, and not always
 * the option at fault. Port 0 (any free one) never clashes; UDP may share the TCP port's number.
 */
export function portClash(config: Pick<ServerConfig, 'host' | 'port' | 'ircPort' | 'ircTlsPort' | 'metricsHost' | 'metricsPort'>): string | null {
  const listeners: Array<[string, string, number | undefined]> = [
    ['--port', config.host, config.port],
    ['--irc-port', config.host, config.ircPort],
    ['--irc-tls-port', config.host, config.ircTlsPort],
    ['--metrics-port', config.metricsHost, config.metricsPort],
  ];
  const sameHost = (a: string, b: string) => a === b || ANY_HOST.has(a) || ANY_HOST.has(b);
  for (let i = 0; i < listeners.length; i++) {
    for (let j = i + 1; j < listeners.length; j++) {
      const [first, hostA, a] = listeners[i]!;
      const [second, hostB, b] = listeners[j]!;
      if (a !== undefined && a !== 0 && a === b && sameHost(hostA, hostB)) {
        return `${second} ${b} is also ${first}: each listener needs a port of its own (or 0 for any free one)`;
      }
    }
  }
  return null;
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
