/**
 * Private messages kept for offline accounts, in one JSON-lines file in the data folder
 * (offline.jsonl): a "put" record per message, a "take" record when its recipient logged in and
 * got them. A message is acknowledged to its sender only once its record is fsynced (AppendLog),
 * so it survives a kill -9 after that. At start the file is read, messages older than `days` are
 * dropped, and when most records are dead the file is compacted: the live ones are written to a
 * new file, fsynced and renamed over the old one (never rewritten in place).
 *
 * Delivery is at least once: a crash between handing messages over and writing the take record
 * delivers them again at the next login.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import type { Kept, Mailbox } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { AppendLog } from './append-log.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const FILE = 'offline.jsonl';

export interface MailboxOptions {
  dir: string;
  /** Days a message waits at most. */
  days: number;
  clock: Clock;
  log: Logger;
}

type Put = { op: 'put'; user: string } & Kept;
type Take = { op: 'take'; user: string; upTo: number };

export class MailboxFile implements Mailbox {
  lastId = 0;
  private readonly boxes = new Map<string, Kept[]>();
  /** Messages being written, per recipient: they count toward the cap already. */
  private readonly writing = new Map<string, number>();
  private readonly log: AppendLog;
  private readonly path: string;

  private constructor(private readonly options: MailboxOptions) {
    this.log = new AppendLog({ clock: options.clock });
    this.path = join(options.dir, FILE);
  }

  static open(options: MailboxOptions): MailboxFile {
    const box = new MailboxFile(options);
    box.load();
    return box;
  }

  waiting(user: string): number {
    this.expire(user);
    return (this.boxes.get(user)?.length ?? 0) + (this.writing.get(user) ?? 0);
  }

  async put(user: string, message: Kept): Promise<void> {
    const record: Put = { op: 'put', user, ...message };
    this.writing.set(user, (this.writing.get(user) ?? 0) + 1);
    try {
      await this.log.append(this.path, JSON.stringify(record));
    } finally {
      const left = this.writing.get(user)! - 1;
      if (left > 0) this.writing.set(user, left);
      else this.writing.delete(user);
    }
    const box = this.boxes.get(user) ?? [];
    box.push(message);
    this.boxes.set(user, box);
    this.lastId = Math.max(this.lastId, message.id);
  }

  take(user: string): Kept[] {
    this.expire(user);
    const box = this.boxes.get(user) ?? [];
    this.boxes.delete(user);
    if (box.length > 0) {
      const record: Take = { op: 'take', user, upTo: box.at(-1)!.id };
      this.log.append(this.path, JSON.stringify(record)).catch((e: Error) => this.options.log.error(`Offline messages: could not write: ${e.message}`));
    }
    return box;
  }

  async close(): Promise<void> {
    await this.log.close();
  }

  /** Drops `user`'s messages that have waited longer than the days allowed. */
  private expire(user: string): void {
    expireBox(this.boxes, user, this.options.clock.now() - this.options.days * DAY_MS);
  }

  private load(): void {
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return; // no file yet: nothing waits
    }
    let records = 0;
    let torn = 0;
    for (const row of text.split('\n')) {
      if (row === '') continue;
      records++;
      const r = parse(row);
      if (!r) {
        torn++;
        continue;
      }
      if (r.op === 'put') {
        const { op: _op, user, ...message } = r;
        const box = this.boxes.get(user) ?? [];
        box.push(message);
        this.boxes.set(user, box);
        this.lastId = Math.max(this.lastId, message.id);
      } else {
        const rest = (this.boxes.get(r.user) ?? []).filter((m) => m.id > r.upTo);
        if (rest.length > 0) this.boxes.set(r.user, rest);
        else this.boxes.delete(r.user);
      }
    }
    for (const user of [...this.boxes.keys()]) this.expire(user);
    const live = [...this.boxes.values()].reduce((n, box) => n + box.length, 0);
    if (torn > 0) this.options.log.warn(`Offline messages: skipped ${torn} torn or damaged line${torn > 1 ? 's' : ''} in ${this.path}`);
    this.options.log.info(`Offline messages opened: ${live} waiting for ${this.boxes.size} accounts`);
    if (records > 2 * live + 100) this.compact();
  }

  /** Writes the live messages to a new file and renames it over the old one. */
  private compact(): void {
    const temp = `${this.path}.tmp`;
    const rows = [...this.boxes].flatMap(([user, box]) => box.map((m) => JSON.stringify({ op: 'put', user, ...m } satisfies Put)));
    writeFileSync(temp, rows.map((r) => `${r}\n`).join(''), { mode: 0o600 });
    const fd = openSync(temp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    const dir = openSync(this.options.dir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

function parse(row: string): Put | Take | null {
  try {
    const v = JSON.parse(row) as Record<string, unknown>;
    if (typeof v.user !== 'string') return null;
    if (v.op === 'take' && typeof v.upTo === 'number') return v as unknown as Take;
    const ok = v.op === 'put' && typeof v.id === 'number' && typeof v.ts === 'number' && typeof v.from === 'string' && typeof v.to === 'string' && typeof v.text === 'string';
    return ok ? (v as unknown as Put) : null;
  } catch {
    return null;
  }
}

/** Drops from `user`'s box in `boxes` the messages kept before `cutoff` (and the box, once empty). */
export function expireBox(boxes: Map<string, Kept[]>, user: string, cutoff: number): void {
  const box = boxes.get(user);
  if (!box) return;
  const live = box.filter((m) => m.ts >= cutoff);
  if (live.length === box.length) return;
  if (live.length > 0) boxes.set(user, live);
  else boxes.delete(user);
}
