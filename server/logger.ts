/**
 * The one way the server logs. It wraps log4js so the rest of the code sees four methods, and
 * tests can pass a silent or capturing logger instead.
 *
 * The file appender writes asynchronously (log4js streams), so logging a group message at info
 * level does not block the event loop. Console lines go to stderr: stdout belongs to the ready
 * line and the console commands' answers.
 */
import log4js from 'log4js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Flushes and closes the appenders; safe to call twice. */
  close(): Promise<void>;
}

export function createLogger(file: string, consoleLevel = 'info'): Logger {
  const appenders: Record<string, log4js.Appender> = {
    console: { type: 'stderr', layout: { type: 'pattern', pattern: '%d{hh:mm:ss} %p %m' } },
    consoleFilter: { type: 'logLevelFilter', appender: 'console', level: consoleLevel },
  };
  const use = ['consoleFilter'];
  if (file) {
    appenders.file = { type: 'file', filename: file, layout: { type: 'pattern', pattern: '%d %p %m' } };
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
