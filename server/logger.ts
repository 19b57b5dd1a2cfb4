/**
 * The one way the server logs. It wraps log4js so the rest of the code sees four methods, and
 * tests can pass a silent or capturing logger instead.
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
 * and the file survives its own failures (see log-sinks.ts).
 */
import log4js from 'log4js';
import type { Clock } from '../common/clock.js';
import { FileSink, stderrSink, type Sink } from './log-sinks.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Closes and reopens the log file by its path (SIGHUP, after logrotate moved it away). */
  reopen(): void;
  /** Flushes and closes the appenders; safe to call twice. */
  close(): Promise<void>;
}


/**
 * A log4js appender module that formats each event at once but writes once per turn. `shutdown`
 * (called by log4js.shutdown) writes what is left before closing the sink.
 */
function batched(open: () => Sink): log4js.AppenderModule {
  return {
    configure: (config, layouts) => {
      const { pattern, time } = config as unknown as { pattern: string; time: (d: Date) => string };
      // log4js calls a token with the event; its typings declare tokens without arguments.
      const token = cachedTime(time) as unknown as () => string;
      const layout = layouts!.layout('pattern', { pattern, tokens: { time: token } });
      const sink = open();
      let lines: string[] = [];
      const flush = () => {
        if (lines.length === 0) return;
        const text = lines.join('');
        lines = [];
        sink.write(text);
      };
      const appender = (event: log4js.LoggingEvent) => {
        if (lines.length === 0) setImmediate(flush);
        lines.push(`${layout(event)}\n`);
      };
      return Object.assign(appender, {
        shutdown: (done: () => void) => {
          flush();
          sink.end(done);
        },
      });
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
/** Local date and time to the millisecond, as log4js's `%d` (ISO 8601 without a zone). */
export const fullTime = (d: Date) =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${clockTime(d)}.${pad(d.getMilliseconds(), 3)}`;

export interface LoggerOptions {
  /** Times the retries of a failed log file (tests pass a fake one). */
  clock?: Clock;
  /** Where the file sink says that the file failed or works again (default: stderr). */
  warn?: (line: string) => void;
  /** Whether lines go to stderr as well (default: yes). */
  console?: boolean;
}

export function createLogger(file: string, options: LoggerOptions = {}): Logger {
  const appenders: Record<string, log4js.Appender> = {};
  const use: string[] = [];
  if (options.console !== false) {
    appenders.console = { type: batched(stderrSink), pattern: '%x{time} %p %m', time: clockTime } as log4js.Appender;
    use.push('console');
  }
  let fileSink: FileSink | null = null;
  if (file) {
    const open = () => (fileSink = new FileSink(file, { ...(options.clock ? { clock: options.clock } : {}), ...(options.warn ? { warn: options.warn } : {}) }));
    appenders.file = { type: batched(open), pattern: '%x{time} %p %m', time: fullTime } as log4js.Appender;
    use.push('file');
  }
  log4js.configure({ appenders, categories: { default: { appenders: use, level: 'info' } } });
  const log = log4js.getLogger('chat');
  let closed: Promise<void> | null = null;
  return {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
    reopen: () => fileSink?.reopen(),
    close: () => (closed ??= new Promise<void>((resolve) => log4js.shutdown(() => resolve()))),
  };
}

/** A logger that keeps its lines in memory: for tests, and for callers that want silence. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => void lines.push(`INFO ${m}`),
    warn: (m) => void lines.push(`WARN ${m}`),
    error: (m) => void lines.push(`ERROR ${m}`),
    reopen: () => void lines.push('REOPEN'),
    close: async () => {},
  };
}
