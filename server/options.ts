/**
 * Every option of chat-server, declared once, and where a value may come from: the command line,
 * a `TINYCHAT_*` environment variable, or a JSON config file (`--config`). The command line wins,
 * then the environment, then the file, then the default. Each value remembers where it came from,
 * so a bad one is refused with the same words wherever it was written, and that place named.
 *
 * Pure: command-line.ts hands in yargs' parse, the environment and the file's text, and turns the merged
 * values into the one typed ServerConfig (checking each as the command line always has).
 */
import { UsageError } from '../common/cli.js';
import { DEFAULTS } from './config.js';
import { redactUrl } from '../common/redact.js';

type Kind = 'string' | 'number' | 'boolean';

export interface OptionSpec {
  readonly kind: Kind;
  readonly describe: string;
  /** Shown in --help and --print-config; the typed default itself lives in DEFAULTS. */
  readonly default?: string | number | boolean;
  /** Never read from a config file (--config: a file cannot name another file). */
  readonly commandLineOnly?: boolean;
  /** Values the option takes (--rename-user OLD NEW); one when not given. */
  readonly nargs?: number;
}

const d = DEFAULTS;

/**
 * The options, in the order --help and --print-config show them. A new option is one row here and
 * one line in command-line.ts's toConfig; the command line, the environment and the file then all know it.
 */
export const OPTIONS = {
  config: { kind: 'string', describe: 'Read options from this JSON file (the command line and TINYCHAT_* variables win)', commandLineOnly: true },
  'print-config': { kind: 'boolean', describe: 'Print the effective configuration (secrets masked) and exit', commandLineOnly: true },
  host: { kind: 'string', default: d.host, describe: 'Address to listen on' },
  port: { kind: 'number', default: d.port, describe: 'TCP port (0 picks a free one)' },
  'udp-port': { kind: 'number', describe: 'UDP heartbeat port (default: same number as --port; 0 picks a free one)' },
  db: { kind: 'string', default: d.db, describe: 'Users file (JSON)' },
  log: { kind: 'string', default: d.log, describe: 'Log file ("" for console only)' },
  'log-level': { kind: 'string', default: 'info', describe: 'Log level, or levels per category: "warn", "info,chat=warn,net=debug" (categories: server, console, net, chat, dispatch, store, cluster)' },
  'log-format': { kind: 'string', default: d.logFormat, describe: 'Log file format: text, or json (one object a line, for log collectors); the console stays text' },
  'log-max-size': { kind: 'string', default: `${d.logMaxSize / (1024 * 1024)}M`, describe: 'Rotate the log file when it reaches this size (bytes, or with K, M, G: 10M); 0: never (with logrotate and SIGHUP)' },
  'log-backups': { kind: 'number', default: d.logBackups, describe: 'Rotated log files kept (server.log.1 is the newest)' },
  'metrics-port': { kind: 'number', describe: 'Serve /metrics (Prometheus), /healthz and /readyz over HTTP on this port (0 picks a free one); off by default' },
  'metrics-host': { kind: 'string', default: d.metricsHost, describe: 'Address of the metrics endpoint' },
  motd: { kind: 'string', describe: 'Message of the day: a text file shown to every user at login (the console command "motd" reloads it)' },
  'bcrypt-cost': { kind: 'number', default: d.bcryptCost, describe: 'bcrypt cost factor for new accounts (4-31)' },
  'allow-guests': { kind: 'boolean', default: d.allowGuests, describe: 'Let an empty password log in a guest' },
  'max-body': { kind: 'number', default: d.maxBody, describe: 'Largest message body in bytes' },
  'pm-timeout': { kind: 'number', default: d.pmTimeout, describe: 'Seconds before an unanswered private-chat request expires' },
  'max-pm-requests': { kind: 'number', default: d.maxPmRequests, describe: 'Private-chat requests that may wait for one user' },
  'rate-count': { kind: 'number', default: d.rateCount, describe: 'Messages allowed per rate window' },
  'rate-window': { kind: 'number', default: d.rateWindow, describe: 'Rate window in seconds' },
  'mute-seconds': { kind: 'number', default: d.muteSeconds, describe: 'Seconds a flooding user is muted' },
  'heartbeat-timeout': { kind: 'number', default: d.heartbeatTimeout, describe: 'Seconds without a heartbeat before a user is offline; also the longest wait for a receipt of offline messages' },
  'login-timeout': { kind: 'number', default: d.loginTimeout, describe: 'Seconds a connection may take to log in' },
  'announce-limit': { kind: 'number', default: d.announceLimit, describe: 'Above this many users (at most 1000), joins and leaves are summarised once a second (in a smaller room, those past 10 a second are)' },
  'max-connections': { kind: 'number', default: d.maxConnections, describe: 'Most connections in all' },
  'max-per-address': { kind: 'number', default: d.maxPerAddress, describe: 'Most connections from one address' },
  'max-output': { kind: 'number', default: d.maxOutput, describe: 'Bytes of unread output before a slow client is dropped' },
  'max-backlog': { kind: 'number', default: d.maxBacklog, describe: 'Bytes kept in all for users whose connection dropped, until they resume' },
  'min-password': { kind: 'number', default: d.minPassword, describe: 'Shortest password for new accounts' },
  'max-failures': { kind: 'number', default: d.maxFailures, describe: 'Failed logins per minute from one address before attempts wait' },
  'max-registrations': { kind: 'number', default: d.maxRegistrations, describe: 'New accounts per hour from one address' },
  'hash-threads': { kind: 'number', default: d.hashThreads, describe: 'Worker threads for password hashing' },
  'hash-queue': { kind: 'number', default: d.hashQueue, describe: 'Hash jobs that may wait before logins get "server busy"' },
  'tls-cert': { kind: 'string', describe: 'PEM certificate: serve TLS (with --tls-key)' },
  'tls-key': { kind: 'string', describe: 'PEM private key for --tls-cert' },
  'irc-port': { kind: 'number', describe: 'Also speak IRC on this port (6667 is usual; 0 picks a free one); off by default' },
  'irc-tls-port': { kind: 'number', describe: 'IRC over TLS on this port (6697 is usual), with --tls-cert and --tls-key; off by default' },
  'irc-channel': { kind: 'string', default: d.ircChannel, describe: 'The room\'s channel name for IRC clients' },
  'data-dir': { kind: 'string', default: d.dataDir, describe: 'Folder for history, offline messages and the network id clients pin keys by (created on first use)' },
  'history-days': { kind: 'number', default: d.historyDays, describe: 'Days of group lines kept (0 turns history off)' },
  'history-max': { kind: 'number', default: d.historyMax, describe: 'Group lines kept at most' },
  'history-on-join': { kind: 'number', default: d.historyOnJoin, describe: 'Group lines replayed at login' },
  'offline-max': { kind: 'number', default: d.offlineMax, describe: 'Private messages that may wait for one offline account, and from one sender in all' },
  'offline-days': { kind: 'number', default: d.offlineDays, describe: 'Days a message for an offline account waits at most' },
  redis: { kind: 'string', describe: 'Join a cluster of servers sharing this Redis (redis://127.0.0.1:6379); accounts, history and offline messages then live in Redis; off by default' },
  'node-id': { kind: 'string', describe: 'This server\'s name in the cluster, for logs (default: host:port)' },
  'redis-ephemeral': { kind: 'boolean', default: d.redisEphemeral, describe: 'Accept a Redis without appendonly (tests and demos: a Redis restart loses accounts and history)' },
  'import-users': { kind: 'string', describe: 'With --redis: copy the accounts of this users file (with its journal) into Redis (never over one already there), say what was done, and exit', commandLineOnly: true },
  'rename-user': { kind: 'string', nargs: 2, describe: 'OLD NEW: rename the account OLD (as the start\'s warning shows it) to NEW in the users file (--db) of a stopped server, keeping its password, say what was done, and exit', commandLineOnly: true },
  'max-file': { kind: 'number', default: d.maxFile, describe: 'Largest file relayed between users, in bytes (0: no file transfers)' },
  'file-rate': { kind: 'number', default: d.fileRate, describe: 'File bytes a second one user may send (apart from the chat rate limit)' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;
export type OptionValue = string | number | boolean;

/** Where a value came from, as an error names it. */
export type Source = { from: 'command line' } | { from: 'environment'; variable: string } | { from: 'file'; path: string } | { from: 'default' };

export interface Gathered {
  values: Partial<Record<OptionName, OptionValue>>;
  sources: Partial<Record<OptionName, Source>>;
}

const PREFIX = 'TINYCHAT_';

/** `max-output` → `TINYCHAT_MAX_OUTPUT`. */
export function envName(option: string): string {
  return PREFIX + option.toUpperCase().replaceAll('-', '_');
}

/** How a source reads in an error line: "TINYCHAT_PORT", "config file /etc/tinychat.json". */
export function describeSource(source: Source | undefined): string | null {
  switch (source?.from) {
    case 'environment':
      return source.variable;
    case 'file':
      return `config file ${source.path}`;
    default:
      return null;
  }
}

/**
 * A UsageError about a value, with its origin named when it is not the command line:
 * "invalid --port 70000: ..." becomes "invalid --port 70000 (from TINYCHAT_PORT): ...". The
 * sentence itself is the one the command line gets (common/cli.ts makes it).
 */
export function fromSource(e: unknown, source: Source | undefined): unknown {
  const where = describeSource(source);
  if (!(e instanceof UsageError) || where === null) return e;
  const at = e.message.indexOf(': ');
  const head = at < 0 ? e.message : e.message.slice(0, at);
  const rest = at < 0 ? '' : e.message.slice(at);
  return new UsageError(`${head} (from ${where})${rest}`);
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false, on: true, off: false };

/** An environment variable's text as the option's type; a UsageError naming the variable if it is not one. */
export function fromEnvText(option: OptionName, variable: string, text: string): OptionValue {
  const { kind } = OPTIONS[option] as OptionSpec;
  if (kind === 'string') return text;
  if (kind === 'boolean') {
    const b = BOOLEANS[text.trim().toLowerCase()];
    if (b === undefined) throw new UsageError(`invalid ${variable} "${text}": use true or false`);
    return b;
  }
  if (text.trim() === '') throw new UsageError(`invalid --${option} (from ${variable}): empty`);
  // Number('') is 0 and Number('0x10') is 16: only plain decimal text is a number here.
  if (!/^\s*[+-]?\d+(\.\d+)?\s*$/.test(text)) throw new UsageError(`invalid --${option} (from ${variable}) ${JSON.stringify(text)}: not a number`);
  return Number(text);
}

/**
 * The TINYCHAT_* variables of `env`, as option values. A TINYCHAT_ variable that names no option
 * is refused (a typo would otherwise be silently ignored).
 */
export function fromEnvironment(env: Record<string, string | undefined>): Gathered {
  const byVariable = new Map<string, OptionName>();
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    if (!(OPTIONS[name] as OptionSpec).commandLineOnly || name === 'config') byVariable.set(envName(name), name);
  }
  const out: Gathered = { values: {}, sources: {} };
  for (const [variable, text] of Object.entries(env)) {
    if (!variable.startsWith(PREFIX) || text === undefined) continue;
    const name = byVariable.get(variable);
    if (!name) throw new UsageError(`unknown environment variable ${variable} (options are named like TINYCHAT_MAX_OUTPUT for --max-output)`);
    out.values[name] = fromEnvText(name, variable, text);
    out.sources[name] = { from: 'environment', variable };
  }
  return out;
}

/**
 * Why `text` is not JSON, in one line: V8 quotes a short text whole, newlines and all (a file of
 * `port=6000` lines), so they are written `\n`; and where it gives a position, the line and column
 * an editor shows are added.
 */
function jsonProblem(text: string, e: Error): string {
  const at = /at position (\d+)(?! \(line)/.exec(e.message); // newer V8s name the line themselves
  let where = '';
  if (at) {
    const before = text.slice(0, Number(at[1]));
    where = ` (line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')})`;
  }
  return e.message.replace(/\r?\n/g, '\\n') + where;
}

/**
 * A config file's text as option values: a JSON object whose keys are option names as on the
 * command line ("max-output"), with values of the option's type. An unknown key, or a value of
 * the wrong type, is refused with the key named.
 */
export function fromConfigFile(path: string, text: string): Gathered {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config file ${path} is not valid JSON: ${jsonProblem(text, e as Error)}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UsageError(`config file ${path} must hold a JSON object of options, like {"port": 5555}`);
  }
  const out: Gathered = { values: {}, sources: {} };
  for (const [key, value] of Object.entries(data)) {
    const spec = (OPTIONS as Record<string, OptionSpec>)[key];
    if (!spec || spec.commandLineOnly) throw new UsageError(`config file ${path}: unknown key "${key}"`);
    // A size may be written as a number of bytes too.
    const ok = typeof value === spec.kind || (key === 'log-max-size' && typeof value === 'number');
    if (!ok) throw new UsageError(`config file ${path}: "${key}" must be a ${spec.kind}, not ${JSON.stringify(value)}`);
    out.values[key as OptionName] = key === 'log-max-size' ? String(value) : (value as OptionValue);
    out.sources[key as OptionName] = { from: 'file', path };
  }
  return out;
}

/** The values given on the command line (yargs' parse, with no defaults applied). */
export function fromCommandLine(parsed: Record<string, unknown>): Gathered {
  const out: Gathered = { values: {}, sources: {} };
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const v = parsed[name];
    if (v === undefined) continue;
    out.values[name] = v as OptionValue;
    out.sources[name] = { from: 'command line' };
  }
  return out;
}

/** Later layers win: `merge(file, env, commandLine)`. */
export function merge(...layers: Gathered[]): Gathered {
  const out: Gathered = { values: {}, sources: {} };
  for (const layer of layers) {
    Object.assign(out.values, layer.values);
    Object.assign(out.sources, layer.sources);
  }
  return out;
}

/** A private key's content (not its path). */
const KEY_CONTENT = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/**
 * A configuration as it may be shown (--print-config): what is a secret by what it holds is
 * replaced, private-key material by "***" and the password in a URL by "user:***". An option's
 * name says nothing: "min-password" is a length, and must print as one for the output to serve as
 * a config file again. Numbers, flags and paths (a key file's path included) are shown as they are.
 */
export function maskSecrets(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (typeof value !== 'string') out[key] = value;
    else if (KEY_CONTENT.test(value)) out[key] = '***';
    else out[key] = redactUrl(value);
  }
  return out;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A size as written in an option: bytes ("10485760"), or with a unit ("512K", "10M", "1G"; "MB",
 * "MiB" read the same, powers of 1024). 0 means "never", anything else must be at least `min`.
 */
export function byteSize(option: string, text: string, min = 1024): number {
  const m = /^\s*(\d+)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : NaN;
  if (Number.isSafeInteger(bytes) && (bytes === 0 || bytes >= min)) return bytes;
  throw new UsageError(`invalid --${option} ${JSON.stringify(text)}: use 0 (never), or a size of at least ${min} bytes, in bytes or with K, M or G (10M)`);
}
