/**
 * Lines appended to a file in batches: at most one write and one fsync per batch, a batch at
 * most every `delayMs` (0: at the end of the turn, and meanwhile whatever arrives while a batch
 * is being written goes into the next: group commit) or as soon as it holds `batchBytes`. Appending never waits for the disk;
 * the promise of a line resolves once its batch is fsynced (a caller that must acknowledge only
 * durable data awaits it, one that need not ignores it). So a kill -9 loses at most the batch in
 * flight, and never damages what an earlier batch wrote: the file is only ever appended to.
 *
 * A file whose last line was torn by a crash (no final newline) gets a newline before the first
 * new line, so the torn one stays a line of its own (readers skip it) and the new one is whole.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Cancel, Clock } from '../../common/clock.js';
import { makeDirs } from '../../common/make-dirs.js';

export interface AppendLogOptions {
  clock: Clock;
  delayMs?: number;
  batchBytes?: number;
}

interface Pending {
  path: string;
  text: string;
  done: Array<{ resolve: () => void; reject: (e: Error) => void }>;
}

export class AppendLog {
  private batch: Pending | null = null;
  private bytes = 0;
  private cancelTimer: Cancel | null = null;
  /** The batch being written; batches never overlap. */
  private writing: Promise<void> = Promise.resolve();
  private file: { path: string; handle: FileHandle } | null = null;
  private readonly delayMs: number;
  private readonly batchBytes: number;

  constructor(private readonly options: AppendLogOptions) {
    this.delayMs = options.delayMs ?? 100;
    this.batchBytes = options.batchBytes ?? 256 * 1024;
  }

  /** Appends `line` (no newline) to the file at `path`; resolves once it is on disk. */
  append(path: string, line: string): Promise<void> {
    // A batch goes to one file: a line for another (the next day's) starts a new batch.
    if (this.batch && this.batch.path !== path) this.flush();
    return new Promise((resolve, reject) => {
      this.batch ??= { path, text: '', done: [] };
      this.batch.text += `${line}\n`;
      this.batch.done.push({ resolve, reject });
      this.bytes += line.length + 1;
      if (this.bytes >= this.batchBytes) this.flush();
      else this.cancelTimer ??= this.schedule();
    });
  }

  /** The batch's flush: after delayMs, or at the end of this turn (not a timer: nothing to advance). */
  private schedule(): Cancel {
    if (this.delayMs > 0) return this.options.clock.after(this.delayMs, () => this.flush());
    const t = setImmediate(() => this.flush());
    return () => clearImmediate(t);
  }

  /** Writes what is waiting now; resolves once everything appended so far is on disk. */
  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = null;
    const batch = this.batch;
    this.batch = null;
    this.bytes = 0;
    if (batch) this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }

  /**
   * Runs `job` once every line appended before is on disk (or has failed), with the file let go
   * of, so that it may replace the file (a compaction). Lines appended meanwhile wait for it, and
   * are then written in order, to whatever file is at the path by then.
   */
  between<T>(job: () => Promise<T>): Promise<T> {
    this.flush();
    const run = this.writing.then(async () => {
      await this.file?.handle.close();
      this.file = null;
      return job();
    });
    this.writing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush();
    await this.file?.handle.close();
    this.file = null;
  }

  private async write(batch: Pending): Promise<void> {
    try {
      const handle = await this.handleFor(batch.path);
      await handle.write(batch.text);
      await handle.sync();
      for (const d of batch.done) d.resolve();
    } catch (e) {
      for (const d of batch.done) d.reject(e as Error);
    }
  }

  private async handleFor(path: string): Promise<FileHandle> {
    if (this.file?.path === path) return this.file.handle;
    await this.file?.handle.close();
    this.file = null;
    makeDirs(dirname(path), 0o700);
    const handle = await open(path, 'a+', 0o600);
    this.file = { path, handle };
    const { size } = await stat(path);
    if (size === 0) {
      // A new file: its name must survive a power cut as well as its lines.
      const dir = await open(dirname(path), 'r');
      await dir.sync().finally(() => dir.close());
    } else {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.write('\n');
    }
    return handle;
  }
}
