#!/usr/bin/env node
/**
 * chat-client: parses the command line (and CHAT_PASSWORD, NO_COLOR) once into a ClientConfig,
 * then runs a chat session on this terminal. Anything that stops it before it starts ends as one
 * line on stderr and exit code 1, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { hideBin } from 'yargs/helpers';
import { UsageError, commandLine, given, optionalWholeNumber, repeatedValues, versionLine, wholeNumber } from '../common/cli.js';
import { fileProblem } from '../common/file-errors.js';
import { CLIENT_DEFAULTS, type ClientConfig } from './config.js';
import { ConnectError } from './connection.js';
import { NO_PASSWORD, NO_USERNAME, userProblem } from './login.js';
import { defaultIdentityFile, knownKeysFile, openIdentity } from './secure/identity.js';
import { KnownKeys } from './secure/known-keys.js';
import { parseServers, type Server } from './servers.js';
import { ChatSession, type SecureSetup } from './session.js';
import { openTerminal } from './terminal.js';
import type { Terminal } from './ui.js';

/** What main.ts knows about the process's streams, for the choices that depend on them. */
interface Streams {
  /** stdin and stdout are a terminal: questions can be asked, colours shown. */
  keyboard: boolean;
  colorTerminal: boolean;
}

function parse(argv: string[], env: NodeJS.ProcessEnv, streams: Streams): ClientConfig {
  const d = CLIENT_DEFAULTS;
  const a = commandLine(argv, 'chat-client', '$0 [options]\n\nConnects to a chat server. Asks for the username and password when not given; type /help once in.')
    .version(versionLine('chat-client'))
    .option('host', { type: 'string', default: d.host, describe: 'Server address' })
    .option('port', { type: 'number', default: d.port, describe: 'Server TCP port (and the port of a --server given without one)' })
    .option('server', {
      type: 'string',
      describe: 'A server of a cluster, as HOST[:PORT] ([IPV6]:PORT); repeat it, or separate with commas, for several: when the connection is lost and the server in use cannot be reached, the client goes on with the next (instead of --host)',
    })
    .option('user', { type: 'string', describe: 'Username (a new name registers an account); needed without a terminal' })
    .option('password', { type: 'string', describe: 'Password (other local users may see it; prefer the CHAT_PASSWORD environment variable)' })
    .option('password-stdin', { type: 'boolean', default: false, describe: 'Read the password from the first line of stdin (for scripts)' })
    .option('udp-port', { type: 'number', describe: 'Send heartbeats to this UDP port instead of the one the server names (NAT, port forwarding)' })
    .option('heartbeat-interval', { type: 'number', default: d.heartbeatInterval, describe: 'Seconds between presence heartbeats' })
    .option('tls', { type: 'boolean', default: false, describe: 'Connect with TLS' })
    .option('ca', { type: 'string', describe: 'PEM certificate to trust for --tls (a self-signed server certificate)' })
    .option('bell', { type: 'boolean', default: true, describe: 'Ring the terminal bell on a mention, a private message or a private-chat request (--no-bell: never)' })
    .option('identity', { type: 'string', describe: 'Your identity key for encrypted private chats (default: $XDG_CONFIG_HOME/tinychat/identity, or ~/.config/tinychat/identity; created at first use)' })
    .option('downloads', { type: 'string', default: d.downloads, describe: 'Folder where files you accept are saved' })
    .epilog('Environment: CHAT_PASSWORD (the password), NO_COLOR (plain output), XDG_CONFIG_HOME (where the identity key lives).')
    .parseSync();

  if (a.ca !== undefined && !a.tls) throw new UsageError('--ca goes with --tls');
  if (a.host.trim() === '') throw new UsageError('invalid --host: empty');
  const port = wholeNumber('port', a.port, 1, 65535);
  if (a.passwordStdin && a.password !== undefined) throw new UsageError('--password and --password-stdin: give one');
  if (a.identity !== undefined && a.identity.trim() === '') throw new UsageError('invalid --identity: empty');
  if (a.downloads.trim() === '') throw new UsageError('invalid --downloads: empty');
  // An empty CHAT_PASSWORD counts as unset (--password '' asks for a guest login).
  const password = a.passwordStdin ? undefined : (a.password ?? (env.CHAT_PASSWORD || undefined));
  const userRefused = a.user === undefined ? null : userProblem(a.user, password);
  if (userRefused) throw new UsageError(`invalid --user: ${userRefused}`);
  const config: ClientConfig = {
    servers: servers(argv, a.host, port),
    udpPort: optionalWholeNumber('udp-port', a.udpPort, 1, 65535),
    user: a.user,
    password,
    passwordStdin: a.passwordStdin,
    heartbeatInterval: heartbeatInterval(a.heartbeatInterval),
    tls: a.tls,
    ...(a.ca !== undefined ? { ca: readCa(a.ca) } : {}),
    // https://no-color.org: any non-empty NO_COLOR turns colour off.
    color: streams.colorTerminal && !env.NO_COLOR,
    bell: a.bell,
    downloads: resolve(a.downloads),
    identityFile: resolve(a.identity ?? defaultIdentityFile(env, homedir())),
  };
  // Without a keyboard, a name or password read from the input would be a script's first chat line.
  if (!streams.keyboard && a.user === undefined) throw new UsageError(NO_USERNAME);
  if (!streams.keyboard && password === undefined && !a.passwordStdin) throw new UsageError(NO_PASSWORD);
  return config;
}

/** --server, repeated or in a comma list; else the one --host and --port. */
function servers(argv: string[], host: string, port: number): Server[] {
  const listed = repeatedValues(argv, 'server');
  if (listed.length === 0) return [{ host, port }];
  if (given(argv, 'host')) throw new UsageError('--host and --server: give one (--server takes HOST:PORT, repeated for several servers)');
  try {
    return parseServers(listed, port);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A day. Longer would overflow the timer, which then fires every millisecond. */
const MAX_HEARTBEAT_INTERVAL = 86_400;

/** Seconds between heartbeats: any number above 0 (fractions are fine), up to a day. */
function heartbeatInterval(v: number): number {
  if (v > 0 && v <= MAX_HEARTBEAT_INTERVAL) return v;
  const shown = Number.isNaN(v) ? '(not a number)' : String(v);
  throw new UsageError(`invalid --heartbeat-interval ${shown}: use a number of seconds above 0, at most ${MAX_HEARTBEAT_INTERVAL}`);
}

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read --ca ${file}: ${fileProblem(e)}`);
  }
}

/**
 * The identity key (created at first use) and the keys pinned so far, for encrypted private
 * chats. A key file others may read, or a damaged pin list, stops the client with the reason.
 */
function openSecure(config: ClientConfig): SecureSetup {
  const file = config.identityFile!;
  return { identity: openIdentity(file), known: KnownKeys.open(knownKeysFile(file)) };
}

/** Leaves once what was written to stdout has gone out (a pipe may be slower than we are). */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

function complain(why: string): void {
  process.stderr.write(`chat-client: ${why}\n`);
}

/** --password-stdin: the first line of input is the password (as `docker login` reads it). */
async function readPassword(config: ClientConfig, terminal: Terminal): Promise<boolean> {
  if (!config.passwordStdin) return true;
  const line = await terminal.firstLine();
  if (line === null) {
    complain('--password-stdin: the input ended before a password line');
    return false;
  }
  config.password = line;
  return true;
}

let terminal: Terminal | null = null;

async function main(): Promise<void> {
  let config: ClientConfig;
  let secure: SecureSetup;
  const keyboard = process.stdin.isTTY === true && process.stdout.isTTY === true;
  try {
    config = parse(hideBin(process.argv), process.env, { keyboard, colorTerminal: process.stdout.isTTY === true });
  } catch (e) {
    complain(`${(e as Error).message} (see --help)`);
    return exit(1);
  }
  try {
    secure = openSecure(config);
  } catch (e) {
    complain((e as Error).message);
    return exit(1);
  }
  const term = openTerminal(process.stdin, process.stdout, { color: config.color, bell: config.bell, abort: () => exit(130) });
  terminal = term;
  process.on('SIGINT', () => term.interrupt());
  process.on('SIGTERM', () => term.interrupt());
  // Output piped into a program that stopped reading (`| head`): nothing more to say.
  process.stdout.on('error', () => process.exit(0));
  // The session's timers are unref'd (so tests can drop them); this keeps us alive meanwhile.
  const alive = setInterval(() => {}, 1 << 30);
  let code = 1;
  try {
    if (await readPassword(config, term)) code = await new ChatSession(config, term, { secure }).run();
  } catch (e) {
    complain(e instanceof ConnectError ? e.message : `unexpected error: ${(e as Error).message}`);
  } finally {
    clearInterval(alive);
    term.close();
  }
  exit(code);
}

/** A bug of ours still ends as one line, not a stack trace, and gives the terminal back. */
function unexpected(e: unknown): void {
  terminal?.close();
  complain(`unexpected error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
process.on('uncaughtException', unexpected);
process.on('unhandledRejection', unexpected);
// However the process ends, the terminal is given back as it was (no raw mode, no paste mode).
process.on('exit', () => terminal?.close());

void main();
