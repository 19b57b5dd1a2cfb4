/**
 * The one way the server logs. It wraps log4js so the rest of the code sees a few methods, and
 * tests can pass a silent or capturing logger instead. Each layer logs under a category of its
 * own (`log.for('net')`), so each can have its own level (--log-level); the file may be written
 * as text or as one JSON object a line (--log-format), the console is always text.
 *
 * Lines go to the log file and to stderr (stdout belongs to the ready line and the console's
 * answers) through a small log4js appender of ours that gathers the lines of one event-loop turn
 * and writes them at once. log4js's own file appender issues one write per line (about 50 µs
 * each, measured), and a busy chat logs a line per group message.
 *
 * Neither sink ever blocks the event loop. process.stderr writes synchronously when it is a pipe
 * or a file, and a pipe write wakes its reader: in the bench (stderr piped to the parent) those
 * writes took 5% of the server's time in the paced run, about 0.3 ms per write. So stderr gets
 * an fs stream of its own, written from libuv's thread pool, like the file. Both are bounded,
 * and the file survives its own failures and rotates by size (see log-sinks.ts). The running
 * chat-server hands its console lines to the process's ordered output instead
 * (process-output.ts), which batches them with the console's own.
 */
import log4js from 'log4js';
import { UsageError } from '../common/cli.js';
import type { Clock } from '../common/clock.js';
import type { LogFormat, LogLevel, LogLevels } from './config.js';
import { FileSink, Pacer, stderrSink, type Sink } from './log-sinks.js';

/**
 * What a log line is about, so each can have its own level (`--log-level chat=warn,net=debug`):
 * the server's start, stop and signals; the operator's console commands; connections, datagrams
 * and TLS (net/); the chat itself: logins, lines, private chats, mutes (chat/); registrations,
 * failed logins and handler errors (dispatch/); files kept beside the users file (store/).
 */
export const LOG_CATEGORIES = ['server', 'console', 'net', 'chat', 'dispatch', 'store', 'cluster'] as const;
export type LogCategory = (typeof LOG_CATEGORIES)[number];
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'off'];

export interface Logger {
  /**
   * What an operator debugging wants and nobody else: each frame, datagram, command, cluster
   * event. Hot paths test `debugging` first, so that with debug off no line is even built.
   */
  debug(message: string): void;
  /** Whether this category logs debug lines (--log-level net=debug). */
  readonly debugging: boolean;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** The same log under a category of its own (its level may differ). */
  for(category: LogCategory): Logger;
  /** Closes and reopens the log file by its path (SIGHUP, after logrotate moved it away). */
  reopen(): void;
  /** Flushes and closes the appenders; safe to call twice. */
  close(): Promise<void>;
}

/** How an appender formats an event: a line of text (time, level, message), or one JSON object. */
interface AppenderConfig {
  format: LogFormat;
  time: (d: Date) => string;
}

/**
 * Our own two layouts, not log4js's pattern layout: that one parses its pattern again for every
 * event (a RegExp match per token), which was half of the memory a login allocated for its
 * three log lines (allocation profile of the connect bench). Every line logs one string, which
 * `%m` would have printed as it is.
 */
function layoutFor(config: AppenderConfig): (event: log4js.LoggingEvent) => string {
  const time = cachedTime(config.time); // formatted once per millisecond
  if (config.format === 'json') {
    return (event) =>
      JSON.stringify({ time: time(event), level: event.level.levelStr, category: event.categoryName, message: String(event.data[0]) });
  }
  return (event) => `${time(event)} ${event.level.levelStr} ${String(event.data[0])}`;
}

/**
 * A log4js appender module that formats each event at once but writes once per turn, and at most
 * once per WRITE_EVERY_MS (see Pacer). `shutdown`
 * (called by log4js.shutdown) writes what is left before closing the sink.
 */
function batched(open: () => Sink): log4js.AppenderModule {
  return {
    configure: (config) => {
      const layout = layoutFor(config as unknown as AppenderConfig);
      const sink = open();
      let lines: string[] = [];
      const pacer = new Pacer(() => {
        if (lines.length === 0) return;
        const text = lines.join('');
        lines = [];
        sink.write(text);
      });
      const appender = (event: log4js.LoggingEvent) => {
        lines.push(`${layout(event)}\n`);
        pacer.schedule();
      };
      return Object.assign(appender, {
        shutdown: (done: () => void) => {
          pacer.now();
          sink.end(done);
        },
      });
    },
  };
}

/**
 * A log4js appender module that hands each formatted line to `write` at once: for the console,
 * whose writer (server/process-output.ts) batches it per turn with the console's own output, so
 * the two keep their order on a terminal.
 */
function lineByLine(write: (text: string) => void): log4js.AppenderModule {
  return {
    configure: (config) => {
      const layout = layoutFor(config as unknown as AppenderConfig);
      return (event: log4js.LoggingEvent) => write(`${layout(event)}\n`);
    },
  };
}

/**
 * The `%x{time}` of a log line, formatted again only when the millisecond changes. Lines come in
 * bursts (a busy turn logs a line per group message), and log4js's `%d` formats the date anew for
 * each: 35% of logging's cost in the fanout profile, where logging was ~8% of the server's time.
 */
export function cachedTime(format: (d: Date) => string): (event: log4js.LoggingEvent) => string {
  let lastMs = NaN;
  let last = '';
  return (event) => {
    const ms = event.startTime.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      last = format(event.startTime);
    }
    return last;
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** Local time, as log4js's `%d{hh:mm:ss}`. */
export const clockTime = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
/** UTC date and time to the millisecond with its zone (JSON logs: collectors parse it as it is). */
export const isoTime = (d: Date) => d.toISOString();
/** Local date and time to the millisecond, as log4js's `%d` (ISO 8601 without a zone). */
export const fullTime = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${clockTime(d)}.${pad(d.getMilliseconds(), 3)}`;

export interface LoggerOptions {
  /** Times the retries of a failed log file (tests pass a fake one). */
  clock?: Clock;
  /** Where the file sink says that the file failed or works again (default: stderr). */
  warn?: (line: string) => void;
  /**
   * Where console lines go: false for nowhere, a function taking whole lines of text (main.ts
   * passes the process's ordered output), or by default stderr through a bounded fs stream.
   */
  console?: boolean | ((text: string) => void);
  /** Levels by category (default: info for all). */
  levels?: LogLevels;
  /** The log file's format (default: text). */
  format?: LogFormat;
  /** Size rotation of the log file: at `maxSize` bytes (0: never), keeping `backups` old files. */
  maxSize?: number;
  backups?: number;
}

export function createLogger(file: string, options: LoggerOptions = {}): Logger {
  const appenders: Record<string, log4js.Appender> = {};
  const use: string[] = [];
  if (options.console !== false) {
    const type = typeof options.console === 'function' ? lineByLine(options.console) : batched(stderrSink);
    appenders.console = { type, format: 'text', time: clockTime } as log4js.Appender;
    use.push('console');
  }
  let fileSink: FileSink | null = null;
  if (file) {
    const { clock, warn, maxSize, backups } = options;
    const open = () => (fileSink = new FileSink(file, { clock, warn, maxSize, backups }));
    const json = options.format === 'json';
    appenders.file = { type: batched(open), format: json ? 'json' : 'text', time: json ? isoTime : fullTime } as log4js.Appender;
    use.push('file');
  }
  const levels = options.levels ?? { default: 'info' };
  const categories: Record<string, { appenders: string[]; level: string }> = {
    default: { appenders: use, level: levels.default },
  };
  for (const c of LOG_CATEGORIES) categories[c] = { appenders: use, level: levels[c] ?? levels.default };
  // log4js needs an appender in every category; with none, an appender that drops everything.
  if (use.length === 0) {
    appenders.none = { type: { configure: () => () => {} } } as unknown as log4js.Appender;
    for (const c of Object.values(categories)) c.appenders = ['none'];
  }
  log4js.configure({ appenders, categories });
  let closed: Promise<void> | null = null;
  const made = new Map<string, Logger>();
  const make = (category: LogCategory): Logger => {
    let logger = made.get(category);
    if (logger) return logger;
    const log = log4js.getLogger(category);
    // From the levels this logger was made with, once: asking log4js (isDebugEnabled) looks the
    // category up and builds its own debug strings, and this is asked for every frame and datagram.
    const debugging = (levels[category] ?? levels.default) === 'debug';
    logger = {
      debug: (m) => log.debug(m),
      debugging,
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
      for: make,
      reopen: () => fileSink?.reopen(),
      close: () => (closed ??= new Promise<void>((resolve) => log4js.shutdown(() => resolve()))),
    };
    made.set(category, logger);
    return logger;
  };
  return make('server');
}

/** Characters of a user's text a log line quotes; the rest is only measured. */
export const QUOTED_MAX = 200;

/**
 * A user's text for a log line: JSON-quoted, so a newline in it cannot forge a log line, and cut
 * at QUOTED_MAX characters with its size after it. A group line may be 64 KiB: logged in full,
 * a flood of them wrote the log faster than the chat.
 */
export function quoted(text: string): string {
  if (text.length <= QUOTED_MAX) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, QUOTED_MAX))}… (${Buffer.byteLength(text)} bytes)`;
}

/**
 * `--log-level`: "warn" (every category), or a default and categories
 * ("info,chat=warn,net=debug"; "chat=warn" alone keeps info for the rest). Throws a UsageError
 * naming the unknown level or category.
 */
export function parseLogLevels(text: string): LogLevels {
  const levels: LogLevels = { default: 'info' };
  const level = (word: string): LogLevel => {
    const l = word.trim().toLowerCase() as LogLevel;
    if (!LOG_LEVELS.includes(l)) throw new UsageError(`invalid --log-level: unknown level "${word.trim()}" (use ${LOG_LEVELS.join(', ')})`);
    return l;
  };
  const parts = text.split(',').map((p) => p.trim());
  if (parts.every((p) => p === '')) throw new UsageError('invalid --log-level: empty');
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) {
      levels.default = level(part);
      continue;
    }
    const category = part.slice(0, eq).trim().toLowerCase();
    if (!(LOG_CATEGORIES as readonly string[]).includes(category)) {
      throw new UsageError(`invalid --log-level: unknown category "${part.slice(0, eq).trim()}" (use ${LOG_CATEGORIES.join(', ')})`);
    }
    levels[category] = level(part.slice(eq + 1));
  }
  return levels;
}

/**
 * A logger that keeps its lines in memory: for tests, and for callers that want silence. Debug
 * lines only with `debug: true`, so specs that read every line see what an operator sees at info.
 */
export function memoryLogger(options: { debug?: boolean } = {}): Logger & { lines: string[] } {
  const lines: string[] = [];
  const debugging = options.debug === true;
  const logger: Logger & { lines: string[] } = {
    lines,
    debugging,
    debug: (m) => void (debugging && lines.push(`DEBUG ${m}`)),
    info: (m) => void lines.push(`INFO ${m}`),
    warn: (m) => void lines.push(`WARN ${m}`),
    error: (m) => void lines.push(`ERROR ${m}`),
    // One list for every category: specs read what was logged, not where.
    for: () => logger,
    reopen: () => void lines.push('REOPEN'),
    close: async () => {},
  };
  return logger;
}
