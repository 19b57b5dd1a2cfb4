#!/usr/bin/env node
/**
 * chat-client: parses the command line (and CHAT_PASSWORD, NO_COLOR) once into a ClientConfig,
 * then runs a chat session on this terminal. Anything that stops it before it starts ends as one
 * line on stderr and exit code 1, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { hideBin } from 'yargs/helpers';
import { UsageError, commandLine, optionalWholeNumber, wholeNumber } from '../common/cli.js';
import { CLIENT_DEFAULTS, type ClientConfig } from './config.js';
import { ConnectError } from './connection.js';
import { ChatSession, userProblem } from './session.js';
import { Terminal } from './terminal.js';

function parse(argv: string[], env: NodeJS.ProcessEnv, colorTerminal: boolean): ClientConfig {
  const d = CLIENT_DEFAULTS;
  const a = commandLine(argv, 'chat-client', '$0 [options]\n\nConnects to a chat server. Asks for the username and password when not given; type /help once in.')
    .option('host', { type: 'string', default: d.host, describe: 'Server address' })
    .option('port', { type: 'number', default: d.port, describe: 'Server TCP port' })
    .option('user', { type: 'string', describe: 'Username (a new name registers an account)' })
    .option('password', { type: 'string', describe: 'Password (other local users may see it; prefer the CHAT_PASSWORD environment variable)' })
    .option('udp-port', { type: 'number', describe: 'Send heartbeats to this UDP port instead of the one the server names (NAT, port forwarding)' })
    .option('heartbeat-interval', { type: 'number', default: d.heartbeatInterval, describe: 'Seconds between presence heartbeats' })
    .option('tls', { type: 'boolean', default: false, describe: 'Connect with TLS' })
    .option('ca', { type: 'string', describe: 'PEM certificate to trust for --tls (a self-signed server certificate)' })
    .epilog('Environment: CHAT_PASSWORD (the password), NO_COLOR (plain output).')
    .parseSync();

  if (a.ca !== undefined && !a.tls) throw new UsageError('--ca goes with --tls');
  if (a.host.trim() === '') throw new UsageError('invalid --host: empty');
  // An empty CHAT_PASSWORD counts as unset (--password '' asks for a guest login).
  const password = a.password ?? (env.CHAT_PASSWORD || undefined);
  const userRefused = a.user === undefined ? null : userProblem(a.user, password);
  if (userRefused) throw new UsageError(`invalid --user: ${userRefused}`);
  return {
    host: a.host,
    port: wholeNumber('port', a.port, 1, 65535),
    udpPort: optionalWholeNumber('udp-port', a.udpPort, 1, 65535),
    user: a.user,
    password,
    heartbeatInterval: heartbeatInterval(a.heartbeatInterval),
    tls: a.tls,
    ...(a.ca !== undefined ? { ca: readCa(a.ca) } : {}),
    // https://no-color.org: any non-empty NO_COLOR turns colour off.
    color: colorTerminal && !env.NO_COLOR,
  };
}

/** A day. Longer would overflow the timer, which then fires every millisecond. */
const MAX_HEARTBEAT_INTERVAL = 86_400;

/** Seconds between heartbeats: any number above 0 (fractions are fine), up to a day. */
function heartbeatInterval(v: number): number {
  if (v > 0 && v <= MAX_HEARTBEAT_INTERVAL) return v;
  const shown = Number.isNaN(v) ? '(not a number)' : String(v);
  throw new UsageError(`invalid --heartbeat-interval ${shown}: use a number of seconds above 0, at most ${MAX_HEARTBEAT_INTERVAL}`);
}

const READ_ERRORS: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'it is a directory', EACCES: 'permission denied' };

function readCa(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    throw new UsageError(`cannot read --ca ${file}: ${READ_ERRORS[code ?? ''] ?? message}`);
  }
}

/** Leaves once what was written to stdout has gone out (a pipe may be slower than we are). */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

async function main(): Promise<void> {
  let config: ClientConfig;
  try {
    config = parse(hideBin(process.argv), process.env, process.stdout.isTTY === true);
  } catch (e) {
    process.stderr.write(`chat-client: ${(e as Error).message} (see --help)\n`);
    return exit(1);
  }
  const terminal = new Terminal(process.stdin, process.stdout, config.color, () => exit(130));
  process.on('SIGINT', () => terminal.interrupt());
  process.on('SIGTERM', () => terminal.interrupt());
  // Output piped into a program that stopped reading (`| head`): nothing more to say.
  process.stdout.on('error', () => process.exit(0));
  // The session's timers are unref'd (so tests can drop them); this keeps us alive meanwhile.
  const alive = setInterval(() => {}, 1 << 30);
  let code = 1;
  try {
    code = await new ChatSession(config, terminal).run();
  } catch (e) {
    const why = e instanceof ConnectError ? e.message : `unexpected error: ${(e as Error).message}`;
    process.stderr.write(`chat-client: ${why}\n`);
  } finally {
    clearInterval(alive);
    terminal.close();
  }
  exit(code);
}

/** A bug of ours still ends as one line, not a stack trace. */
function unexpected(e: unknown): void {
  process.stderr.write(`chat-client: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
process.on('uncaughtException', unexpected);
process.on('unhandledRejection', unexpected);

void main();
