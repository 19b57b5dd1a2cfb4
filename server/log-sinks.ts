/**
 * Where log text goes: a stream that must never block the server nor grow it. What a sink has
 * not written yet is bounded: past `limit` bytes, lines are dropped and counted, and the count is
 * written once the sink catches up. A stdout or stderr nobody reads, or a stalled disk, costs log
 * lines, never the server's memory.
 *
 * The log file may also fail outright (ENOSPC, a disk gone read-only): its sink then drops and
 * counts lines, tries the file again now and then, and says both on stderr (the console). It can
 * be reopened at any time (SIGHUP, after logrotate moved the file away), and it rotates itself
 * when it reaches a size: server.log becomes server.log.1, .1 becomes .2, and so on, the oldest
 * beyond the number of backups is dropped.
 */
import { createWriteStream, openSync, renameSync, statSync, unlinkSync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { systemClock, type Clock } from '../common/clock.js';
import { fileProblem } from '../common/file-errors.js';

export type Sink = { write(text: string): void; end(done: () => void): void };

/**
 * A sink is written at most this often. Each write goes through libuv's thread pool, which costs
 * about 0.1 ms of CPU on a 2-core VM (measured: 158 µs a turn with a write against 60 µs
 * without), and a login storm logs a few lines a login: written once a turn, the log cost more
 * than a third of a login's own CPU at bcrypt cost 4. Paced, a storm's lines share a write.
 */
export const WRITE_EVERY_MS = 50;

/** What a Pacer waits with; tests pass a fake one. */
export interface PacerTimers {
  /** Monotonic milliseconds. */
  now(): number;
  /** Runs fn after ms, or at the end of this turn when ms is 0; returns its cancel. */
  after(fn: () => void, ms: number): () => void;
}

const realTimers: PacerTimers = {
  now: () => performance.now(),
  after: (fn, ms) => {
    if (ms > 0) {
      const t = setTimeout(fn, ms);
      return () => clearTimeout(t);
    }
    const t = setImmediate(fn);
    return () => clearImmediate(t);
  },
};

/**
 * Runs `flush` once for any number of schedule() calls: at the end of this turn when the last run
 * was WRITE_EVERY_MS ago or more (a quiet server writes its lines at once), else once that much
 * time has passed since. `now()` runs it at once (before a sink ends).
 */
export class Pacer {
  private last = -Infinity;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly flush: () => void,
    private readonly everyMs = WRITE_EVERY_MS,
    private readonly timers: PacerTimers = realTimers,
  ) {}

  schedule(): void {
    if (this.cancel) return;
    this.cancel = this.timers.after(this.now, Math.max(0, this.last + this.everyMs - this.timers.now()));
  }

  readonly now = (): void => {
    this.cancel?.();
    this.cancel = null;
    this.last = this.timers.now();
    this.flush();
  };
}

/** Unwritten log text a sink may hold; past it, lines are dropped and counted. */
export const LOG_BACKLOG = 4 * 1024 * 1024;

const lines = (text: string) => text.split('\n').length - 1;

/** A sink over a stream that drops (and later reports) what would take it past `limit` unwritten bytes. */
export function boundedSink(stream: Writable, limit = LOG_BACKLOG, what = 'log'): Sink {
  let dropped = 0;
  return {
    write(text) {
      if (stream.writableLength > limit) {
        dropped += lines(text);
        return;
      }
      if (dropped > 0) {
        stream.write(`(${dropped} ${what} lines dropped: the ${what} could not keep up)\n`);
        dropped = 0;
      }
      stream.write(text);
    },
    end: (done) => stream.end(done),
  };
}

/** fd 2 through the thread pool (never closed: autoClose off); nowhere to report its errors. */
export function stderrSink(): Sink {
  return fdSink(2);
}

/**
 * A file descriptor of the process (1 or 2) written from the thread pool, so a slow terminal or
 * pipe never blocks the event loop; bounded like any sink. Never closed (autoClose off).
 */
export function fdSink(fd: 1 | 2, limit = LOG_BACKLOG, what = 'log'): Sink {
  const stream = createWriteStream(fd === 1 ? '/dev/stdout' : '/dev/stderr', { fd, autoClose: false });
  stream.on('error', () => {});
  return boundedSink(stream, limit, what);
}

/** After the log file failed, how long before it is tried again. */
export const RETRY_MS = 5000;

export interface FileSinkOptions {
  limit?: number;
  clock?: Clock;
  /** Where to say that the file failed or works again (default: stderr). */
  warn?: (line: string) => void;
  /** Rotate when the file would pass this many bytes; 0 or undefined: never. */
  maxSize?: number;
  /** Rotated files kept (server.log.1 … server.log.N); 0: the old file is dropped. */
  backups?: number;
}

/** The log file, appended to; see the file comment for failures and reopening. */
export class FileSink implements Sink {
  private stream: WriteStream | null = null;
  private sink: Sink | null = null;
  /** Since when the file has failed (monotonic), and why; null while it works. */
  private failure: { at: number; why: string } | null = null;
  /** Lines dropped since the file failed. */
  private dropped = 0;
  private readonly limit: number;
  private readonly clock: Clock;
  private readonly warn: (line: string) => void;
  private readonly maxSize: number;
  private readonly backups: number;
  /** Bytes in the current file: its size when opened, plus what was handed to it since. */
  private size = 0;

  constructor(
    private readonly path: string,
    options: FileSinkOptions = {},
  ) {
    this.limit = options.limit ?? LOG_BACKLOG;
    this.clock = options.clock ?? systemClock;
    this.warn = options.warn ?? ((line) => void process.stderr.write(`${line}\n`));
    this.maxSize = options.maxSize ?? 0;
    this.backups = options.backups ?? 5;
  }

  write(text: string): void {
    // Opened at the first line, not before: a server that fails to start writes no empty log.
    if (!this.stream && !this.failure) this.open();
    if (this.failure && this.clock.monotonic() - this.failure.at >= RETRY_MS) this.open();
    if (this.failure || !this.sink) {
      this.dropped += lines(text);
      return;
    }
    if (this.maxSize > 0 && this.size + Buffer.byteLength(text) > this.maxSize) {
      // A write holds the lines of up to WRITE_EVERY_MS (see Pacer), more than a small file may
      // have room for: line by line, the lines that fit stay in this file, the rest start the next.
      for (const line of text.split(/(?<=\n)/)) this.put(line);
      return;
    }
    this.put(text);
  }

  private put(text: string): void {
    if (this.maxSize > 0) {
      const bytes = Buffer.byteLength(text);
      if (this.size > 0 && this.size + bytes > this.maxSize) this.rotate();
      this.size += bytes;
    }
    this.sink!.write(text);
  }

  /**
   * Moves the file aside (server.log → .1 → .2 …) and starts a new one. Lines the old stream has
   * not written yet still reach the moved file: a rename keeps an open file. The renames are
   * synchronous, once per --log-max-size bytes of log, so no line can fall between two files.
   */
  private rotate(): void {
    const { path, backups } = this;
    try {
      if (backups === 0) ifThere(() => unlinkSync(path));
      for (let n = backups - 1; n >= 1; n--) ifThere(() => renameSync(`${path}.${n}`, `${path}.${n + 1}`));
      if (backups > 0) ifThere(() => renameSync(path, `${path}.1`));
    } catch (e) {
      // Try again after another --log-max-size bytes rather than on every line.
      this.size = 0;
      this.warn(`chat-server: cannot rotate log file ${path}: ${fileProblem(e, path)}; it goes on growing`);
      return;
    }
    const old = this.stream;
    this.stream = null;
    old?.end();
    this.open();
  }

  /** Closes the file and opens it again by its path (logrotate moved it away: a new one starts). */
  reopen(): void {
    const old = this.stream;
    this.stream = null;
    old?.end();
    if (old) this.open();
  }

  end(done: () => void): void {
    if (!this.stream) return done();
    this.stream.end(done);
    this.stream = null;
  }

  /**
   * Opens the file synchronously (once at the first line and once per rotation): a stream still
   * opening by name could not be rotated, since its name must not move before it is open, and a
   * batch of lines larger than --log-max-size would then all land in one file.
   */
  private open(): void {
    this.size = sizeOf(this.path);
    let fd: number;
    try {
      fd = openSync(this.path, 'a', 0o600);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    const stream = createWriteStream(this.path, { fd, flags: 'a' });
    this.stream = stream;
    this.sink = boundedSink(stream, this.limit);
    stream.on('error', (e) => this.failed(stream, e));
    if (!this.failure) return;
    // Trying again after a failure: the first write tells whether the file works now.
    const { why } = this.failure;
    const dropped = this.dropped;
    this.failure = null;
    this.dropped = 0;
    stream.write(`(${dropped} log lines dropped: the log file could not be written: ${why})\n`, (e) => {
      if (!e && this.stream === stream) this.warn(`chat-server: log file ${this.path} is written again (${dropped} lines were dropped)`);
    });
  }

  private failed(stream: WriteStream, e: Error): void {
    if (stream !== this.stream) return; // an old file after a reopen
    stream.destroy();
    this.fail(e);
  }

  private fail(e: Error): void {
    this.stream = null;
    this.sink = null;
    const why = fileProblem(e);
    this.failure = { at: this.clock.monotonic(), why };
    this.warn(`chat-server: cannot write log file ${this.path}: ${why}; log lines are dropped and counted, and the file is tried again every ${RETRY_MS / 1000} s`);
  }
}

/** A file's size; 0 if it is not there (or cannot be read: opening it will say why). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Runs a rename or removal that may find its file gone (moved away by someone else): fine. */
function ifThere(act: () => void): void {
  try {
    act();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
