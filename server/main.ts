#!/usr/bin/env node
/**
 * chat-server: parses the command line once into a ServerConfig, starts the server, prints the
 * ready line, and wires the console and the signals. Errors end as one line and exit code 1.
 */
import { hideBin } from 'yargs/helpers';
import { UsageError, commandLine, optionalWholeNumber, versionLine, wholeNumber } from '../common/cli.js';
import { DEFAULTS, type ServerConfig } from './config.js';
import { attachConsole } from './console.js';
import { boundedSink } from './log-sinks.js';
import { ChatServer } from './server.js';

/** Console output (the ready line, answers, online lists) a stdout nobody reads may hold. */
const STDOUT_BACKLOG = 1024 * 1024;

function parse(argv: string[]): ServerConfig {
  const d = DEFAULTS;
  const a = commandLine(argv, 'chat-server', '$0 [options]\n\nRuns the chat server. Type "online", "stats" or "Terminate server" on its console.')
    .version(versionLine('chat-server'))
    .option('host', { type: 'string', default: d.host, describe: 'Address to listen on' })
    .option('port', { type: 'number', default: d.port, describe: 'TCP port (0 picks a free one)' })
    .option('udp-port', { type: 'number', describe: 'UDP heartbeat port (default: same number as --port; 0 picks a free one)' })
    .option('db', { type: 'string', default: d.db, describe: 'Users file (JSON)' })
    .option('log', { type: 'string', default: d.log, describe: 'Log file ("" for console only)' })
    .option('bcrypt-cost', { type: 'number', default: d.bcryptCost, describe: 'bcrypt cost factor for new accounts (4-31)' })
    .option('allow-guests', { type: 'boolean', default: d.allowGuests, describe: 'Let an empty password log in a guest' })
    .option('max-body', { type: 'number', default: d.maxBody, describe: 'Largest message body in bytes' })
    .option('pm-timeout', { type: 'number', default: d.pmTimeout, describe: 'Seconds before an unanswered private-chat request expires' })
    .option('max-pm-requests', { type: 'number', default: d.maxPmRequests, describe: 'Private-chat requests that may wait for one user' })
    .option('rate-count', { type: 'number', default: d.rateCount, describe: 'Messages allowed per rate window' })
    .option('rate-window', { type: 'number', default: d.rateWindow, describe: 'Rate window in seconds' })
    .option('mute-seconds', { type: 'number', default: d.muteSeconds, describe: 'Seconds a flooding user is muted' })
    .option('heartbeat-timeout', { type: 'number', default: d.heartbeatTimeout, describe: 'Seconds without a heartbeat before a user is offline' })
    .option('login-timeout', { type: 'number', default: d.loginTimeout, describe: 'Seconds a connection may take to log in' })
    .option('announce-limit', { type: 'number', default: d.announceLimit, describe: 'Above this many users (at most 1000), joins and leaves are summarised once a second' })
    .option('max-connections', { type: 'number', default: d.maxConnections, describe: 'Most connections in all' })
    .option('max-per-address', { type: 'number', default: d.maxPerAddress, describe: 'Most connections from one address' })
    .option('max-output', { type: 'number', default: d.maxOutput, describe: 'Bytes of unread output before a slow client is dropped' })
    .option('max-backlog', { type: 'number', default: d.maxBacklog, describe: 'Bytes kept in all for users whose connection dropped, until they resume' })
    .option('min-password', { type: 'number', default: d.minPassword, describe: 'Shortest password for new accounts' })
    .option('max-failures', { type: 'number', default: d.maxFailures, describe: 'Failed logins per minute from one address before attempts wait' })
    .option('max-registrations', { type: 'number', default: d.maxRegistrations, describe: 'New accounts per hour from one address' })
    .option('hash-threads', { type: 'number', default: d.hashThreads, describe: 'Worker threads for password hashing' })
    .option('hash-queue', { type: 'number', default: d.hashQueue, describe: 'Hash jobs that may wait before logins get "server busy"' })
    .option('tls-cert', { type: 'string', describe: 'PEM certificate: serve TLS (with --tls-key)' })
    .option('tls-key', { type: 'string', describe: 'PEM private key for --tls-cert' })
    .parseSync();

  if ((a.tlsCert === undefined) !== (a.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (a.host.trim() === '') throw new UsageError('invalid --host: empty');
  if (a.db.trim() === '') throw new UsageError('invalid --db: empty');
  return {
    host: a.host,
    port: wholeNumber('port', a.port, 0, 65535),
    udpPort: optionalWholeNumber('udp-port', a.udpPort, 0, 65535),
    db: a.db,
    log: a.log,
    bcryptCost: wholeNumber('bcrypt-cost', a.bcryptCost, 4, 31),
    allowGuests: a.allowGuests,
    maxBody: wholeNumber('max-body', a.maxBody, 1),
    pmTimeout: wholeNumber('pm-timeout', a.pmTimeout, 1),
    maxPmRequests: wholeNumber('max-pm-requests', a.maxPmRequests, 1),
    rateCount: wholeNumber('rate-count', a.rateCount, 1),
    rateWindow: wholeNumber('rate-window', a.rateWindow, 1),
    muteSeconds: wholeNumber('mute-seconds', a.muteSeconds, 1),
    heartbeatTimeout: wholeNumber('heartbeat-timeout', a.heartbeatTimeout, 1),
    loginTimeout: wholeNumber('login-timeout', a.loginTimeout, 1),
    // A join notice carries the online list; past 1,000 names it would not fit a frame header.
    announceLimit: wholeNumber('announce-limit', a.announceLimit, 0, 1000),
    maxConnections: wholeNumber('max-connections', a.maxConnections, 1),
    maxPerAddress: wholeNumber('max-per-address', a.maxPerAddress, 1),
    maxOutput: wholeNumber('max-output', a.maxOutput, 1024),
    maxBacklog: wholeNumber('max-backlog', a.maxBacklog, 0),
    minPassword: wholeNumber('min-password', a.minPassword, 0),
    maxFailures: wholeNumber('max-failures', a.maxFailures, 1),
    maxRegistrations: wholeNumber('max-registrations', a.maxRegistrations, 1),
    hashThreads: wholeNumber('hash-threads', a.hashThreads, 1),
    hashQueue: wholeNumber('hash-queue', a.hashQueue, 0),
    tlsCert: a.tlsCert,
    tlsKey: a.tlsKey,
  };
}

/** Turns a start-up failure into the one line a user needs. */
function explain(e: unknown, config?: ServerConfig): string {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  // Socket errors name the address and port that failed: the UDP one may differ from --port.
  const where = err.port !== undefined ? `${err.address}:${err.port}` : config ? `${config.host}:${config.port}` : '';
  const udp = err.syscall === 'bind';
  switch (err.code) {
    case 'EADDRINUSE':
      return udp
        ? `UDP port already in use: ${where} (another server running? try --udp-port 0)`
        : `TCP port already in use: ${where} (another server running? try --port 0)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on host ${config?.host}: no such local address`;
    case 'EACCES':
      return `permission denied to listen on ${where} (ports below 1024 need privileges)`;
    default:
      return err.message ?? String(e);
  }
}

async function main(): Promise<void> {
  let config: ServerConfig | undefined;
  try {
    config = parse(hideBin(process.argv));
    const server = new ChatServer(config);
    const { port, udpPort } = await server.start().catch(async (e) => {
      await server.log.close();
      throw e;
    });
    // A closed stdout (piped into `head`, say) costs the console its answers, not the users
    // their server; a stdout nobody reads holds at most a megabyte of them.
    process.stdout.on('error', () => {});
    const out = boundedSink(process.stdout, STDOUT_BACKLOG, 'console');
    const scheme = config.tlsCert ? 'tls' : 'tcp';
    out.write(`Server listening on ${scheme}://${config.host}:${port} and udp://${config.host}:${udpPort}\n`);
    const stop = () => {
      void server.stop().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // A service manager's other signals must not kill the server: SIGHUP reopens the log file
    // (logrotate moved it away); SIGUSR2 is only noted.
    process.on('SIGHUP', () => {
      server.log.reopen();
      server.log.info('SIGHUP: log file reopened');
    });
    process.on('SIGUSR2', () => server.log.info('SIGUSR2 received and ignored'));
    attachConsole(server, process.stdin, out, stop);
  } catch (e) {
    process.stderr.write(`chat-server: ${explain(e, config)}\n`);
    process.exit(1);
  }
}

void main();
