/**
 * Durable whole-file writes for lowdb: an adapter whose writes are on disk when they resolve.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb adapter whose writes are durable when they resolve: temporary file, fsync, rename,
 * fsync of the folder (so the rename itself survives a power cut). Writes never overlap; those
 * that arrive while one runs are coalesced into the next, which carries the latest data, and
 * each resolves as soon as a write that includes its data is on disk.
 */
export class DurableFile<T> implements Adapter<T> {
  private running: Promise<void> | null = null;
  private queued: { text: string; done: Promise<void> } | null = null;
  private readonly temp: string;

  constructor(private readonly path: string) {
    this.temp = join(dirname(path), `.${basename(path)}.tmp`);
  }

  /** Not used: the store reads and checks the file itself (see readChecked). */
  async read(): Promise<T | null> {
    return null;
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify(data, null, 2);
    if (this.queued) {
      this.queued.text = text;
      return this.queued.done;
    }
    if (!this.running) return this.start(text);
    const after = this.running.catch(() => undefined);
    const queued: { text: string; done: Promise<void> } = {
      text,
      done: after.then((): Promise<void> => {
        this.queued = null;
        return this.start(queued.text);
      }),
    };
    this.queued = queued;
    return queued.done;
  }

  private start(text: string): Promise<void> {
    const run = writeDurably(this.path, this.temp, text).finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }
}

async function writeDurably(path: string, temp: string, text: string): Promise<void> {
  const file = await open(temp, 'w', 0o600);
  try {
    await file.writeFile(text, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  syncFolder(dirname(path));
}

function syncFolder(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
