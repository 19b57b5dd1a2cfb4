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
 * an fs stream of its own, written from libuv's thread pool, like the file. What a sink has not
 * written yet is bounded: past LOG_BACKLOG, lines are dropped and counted, and the count is
 * written once the sink catches up. A stderr nobody reads, or a stalled disk, costs log lines,
 * never the server's memory.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import log4js from 'log4js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Flushes and closes the appenders; safe to call twice. */
  close(): Promise<void>;
}

export type Sink = { write(text: string): void; end(done: () => void): void };

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

/** Unwritten log text a sink may hold; past it, lines are dropped and counted. */
export const LOG_BACKLOG = 4 * 1024 * 1024;

/** A sink over a stream that drops (and later reports) what would take it past `limit` unwritten bytes. */
export function boundedSink(stream: Writable, limit = LOG_BACKLOG): Sink {
  let dropped = 0;
  return {
    write(text) {
      if (stream.writableLength > limit) {
        dropped += text.split('\n').length - 1;
        return;
      }
      if (dropped > 0) {
        stream.write(`(${dropped} log lines dropped: the log could not keep up)\n`);
        dropped = 0;
      }
      stream.write(text);
    },
    end: (done) => stream.end(done),
  };
}

/** fd 2 through the thread pool (never closed: autoClose off); nowhere to report its errors. */
const stderrSink = (): Sink => {
  const stream = createWriteStream('/dev/stderr', { fd: 2, autoClose: false });
  stream.on('error', () => {});
  return boundedSink(stream);
};
const fileSink = (file: string) => (): Sink => {
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  // A log that cannot be written must not take the server down; say so once on stderr.
  stream.once('error', (e) => process.stderr.write(`chat-server: cannot write log file ${file}: ${e.message}\n`));
  return boundedSink(stream);
};

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

export function createLogger(file: string): Logger {
  const appenders: Record<string, log4js.Appender> = {
    console: { type: batched(stderrSink), pattern: '%x{time} %p %m', time: clockTime } as log4js.Appender,
  };
  const use = ['console'];
  if (file) {
    appenders.file = { type: batched(fileSink(file)), pattern: '%x{time} %p %m', time: fullTime } as log4js.Appender;
    use.push('file');
  }
  log4js.configure({ appenders, categories: { default: { appenders: use, level: 'info' } } });
  const log = log4js.getLogger('chat');
  let closed: Promise<void> | null = null;
  return {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
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
    close: async () => {},
  };
}
