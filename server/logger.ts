/**
 * The one way the server logs. It wraps log4js so the rest of the code sees four methods, and
 * tests can pass a silent or capturing logger instead.
 *
 * Lines go to the log file and to stderr (stdout belongs to the ready line and the console's
 * answers) through a small log4js appender of ours that gathers the lines of one event-loop turn
 * and writes them at once. log4js's own file appender issues one write per line (about 50 µs
 * each, measured), and stderr is written synchronously when it is a pipe or a file; a busy chat
 * logs a line per group message, so per-line writes would cost the hot path ~10% of its CPU.
 */
import { createWriteStream } from 'node:fs';
import log4js from 'log4js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Flushes and closes the appenders; safe to call twice. */
  close(): Promise<void>;
}

type Sink = { write(text: string): void; end(done: () => void): void };

/**
 * A log4js appender module that formats each event at once but writes once per turn. `shutdown`
 * (called by log4js.shutdown) writes what is left before closing the sink.
 */
function batched(open: () => Sink): log4js.AppenderModule {
  return {
    configure: (config, layouts) => {
      const layout = layouts!.layout('pattern', { pattern: (config as { pattern: string }).pattern, tokens: {} });
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

const stderrSink = (): Sink => ({ write: (t) => void process.stderr.write(t), end: (done) => done() });
const fileSink = (file: string) => (): Sink => {
  const stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  // A log that cannot be written must not take the server down; say so once on stderr.
  stream.once('error', (e) => process.stderr.write(`chat-server: cannot write log file ${file}: ${e.message}\n`));
  return { write: (t) => void stream.write(t), end: (done) => stream.end(done) };
};

export function createLogger(file: string, consoleLevel = 'info'): Logger {
  const appenders: Record<string, log4js.Appender> = {
    console: { type: batched(stderrSink), pattern: '%d{hh:mm:ss} %p %m' },
    consoleFilter: { type: 'logLevelFilter', appender: 'console', level: consoleLevel },
  };
  const use = ['consoleFilter'];
  if (file) {
    appenders.file = { type: batched(fileSink(file)), pattern: '%d %p %m' };
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
