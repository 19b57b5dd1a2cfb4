#!/usr/bin/env node
/**
 * chat-server: takes the one ServerConfig from the command line (command-line.ts), runs a one-shot
 * task or starts the server, prints the ready line, and wires the console, the metrics endpoint
 * and the signals. Errors end as one line and exit code 1.
 */
import { fstatSync } from 'node:fs';
import { hideBin } from 'yargs/helpers';
import { parse } from './command-line.js';
import type { ServerConfig } from './config.js';
import { attachConsole, type AttachedConsole, type ConsoleTerminal } from './console.js';
import { fileWritable, listening, readiness, type ReadinessCheck } from './health.js';
import { boundedSink, fdSink, stderrSink } from './log-sinks.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { readMotd } from './motd.js';
import { startOps, type OpsServer } from './ops-http.js';
import { maskSecrets } from './options.js';
import { ProcessOutput } from './process-output.js';
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

/** The option that set a TCP port which could not be bound: an IRC one, or --port. */
function ircOption(port: number | undefined, config?: ServerConfig): string {
  if (port !== undefined && port !== 0 && port === config?.ircPort) return '--irc-port';
  if (port !== undefined && port !== 0 && port === config?.ircTlsPort) return '--irc-tls-port';
  return '--port';
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
