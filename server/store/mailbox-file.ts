/**
 * Private messages kept for offline accounts, in one JSON-lines file in the data folder
 * (offline.jsonl): a "put" record per message, a "take" record when its recipient logged in and
 * got them. A message is acknowledged to its sender only once its record is fsynced (AppendLog),
 * so it survives a kill -9 after that. At start the file is read a piece at a time (never as one
 * string: past 512 MiB that cannot be made) and messages older than `days` are dropped.
 *
 * Compaction: once the dead records (taken, expired) outweigh the live ones by `compactSlack`
 * bytes, at start or after a take, the live messages are written to a new file, fsynced and
 * renamed over the old one, and the folder fsynced (never rewritten in place; see DurableFile).
 * Records made meanwhile wait, and go to the new file in order once it is in place. So the file
 * stays within about twice what waits, where it once grew with everything ever sent (45 MB after
 * a few mailboxes were filled and delivered), and the work is paid for by the dead bytes it drops.
 *
 * A take record is written for a batch only once it was handed to the recipient's connection
 * (see Pacer): a connection lost during a long delivery leaves the rest for the next login.
 * Delivery is at least once: a crash between handing a batch over and writing its take record
 * delivers it again at the next login.
 */
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { countFrom, dropTaken, type Kept, type Mailbox } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { AppendLog } from './append-log.js';
import { DurableFile } from './durable-file.js';
import { readRows } from './line-reader.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const FILE = 'offline.jsonl';
/** Dead bytes beyond the live ones before a compaction: a small file is not rewritten at every take. */
export const COMPACT_SLACK = 1024 * 1024;

export interface MailboxOptions {
  dir: string;
  /** Days a message waits at most. */
  days: number;
  /** Dead bytes allowed beyond the live ones before the file is compacted (default COMPACT_SLACK). */
  compactSlack?: number;
  clock: Clock;
  log: Logger;
}

type Put = { op: 'put'; user: string } & Kept;
type Take = { op: 'take'; user: string; upTo: number };

/** A message whose record is being written: a compaction keeps it unless its write failed. */
interface Writing {
  user: string;
  message: Kept;
  failed?: boolean;
}

/** A record made while the file is being compacted: it goes to the new file. */
interface Held {
  row: string;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class MailboxFile implements Mailbox {
  lastId = 0;
  private readonly boxes = new Map<string, Kept[]>();
  /** Messages being written, per recipient: they count toward the cap already. */
  private readonly writing = new Map<string, number>();
  private readonly inFlight = new Set<Writing>();
  /** The same per recipient and sender ("user\nfrom"): they count toward the sender's share. */
  private readonly writingFrom = new Map<string, number>();
  private readonly log: AppendLog;
  private readonly path: string;
  private readonly slack: number;
  /** Bytes in the file, and those of the put records of the messages that wait. */
  private fileBytes = 0;
  private liveBytes = 0;
  /** While compacting: the records made meanwhile, in order. */
  private held: Held[] | null = null;
  private compaction: Promise<void> | null = null;
  /** After a failed compaction, the file size at which to try again (not at every take). */
  private retryAt = 0;

  private constructor(private readonly options: MailboxOptions) {
    this.log = new AppendLog({ clock: options.clock });
    this.path = join(options.dir, FILE);
    this.slack = options.compactSlack ?? COMPACT_SLACK;
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

  waitingFrom(user: string, from: string): number {
    this.expire(user);
    return countFrom(this.boxes.get(user), from) + (this.writingFrom.get(`${user}\n${from}`) ?? 0);
  }

  async put(user: string, message: Kept): Promise<void> {
    const row = JSON.stringify({ op: 'put', user, ...message } satisfies Put);
    const entry: Writing = { user, message };
    const from = `${user}\n${message.from}`;
    count(this.writing, user, 1);
    count(this.writingFrom, from, 1);
    this.inFlight.add(entry);
    this.liveBytes += rowBytes(row);
    try {
      await this.append(row);
    } catch (e) {
      entry.failed = true;
      this.liveBytes -= rowBytes(row);
      throw e;
    } finally {
      this.inFlight.delete(entry);
      count(this.writing, user, -1);
      count(this.writingFrom, from, -1);
    }
    this.add(user, message);
  }

  peek(user: string): readonly Kept[] {
    this.expire(user);
    return this.boxes.get(user) ?? [];
  }

  taken(user: string, upTo: number): void {
    const box = this.boxes.get(user);
    if (!box) return;
    for (const m of box) if (m.id <= upTo) this.liveBytes -= putBytes(user, m);
    dropTaken(this.boxes, user, upTo);
    const record: Take = { op: 'take', user, upTo };
    this.append(JSON.stringify(record)).catch((e: Error) => this.options.log.error(`Offline messages: could not write: ${e.message}`));
    this.compactWhenDue();
  }

  /** Waits for a compaction under way, writes what is waiting and stops. */
  async close(): Promise<void> {
    await this.compaction;
    await this.log.close();
  }

  private add(user: string, message: Kept): void {
    const box = this.boxes.get(user) ?? [];
    box.push(message);
    this.boxes.set(user, box);
    this.lastId = Math.max(this.lastId, message.id);
  }

  /** Appends a record, or holds it for the new file while a compaction runs; resolves once it is on disk. */
  private append(row: string): Promise<void> {
    this.fileBytes += rowBytes(row);
    if (!this.held) return this.log.append(this.path, row);
    return new Promise((resolve, reject) => this.held!.push({ row, resolve, reject }));
  }

  /** Drops `user`'s messages that have waited longer than the days allowed. */
  private expire(user: string): void {
    const cutoff = this.options.clock.now() - this.options.days * DAY_MS;
    for (const m of this.boxes.get(user) ?? []) if (m.ts < cutoff) this.liveBytes -= putBytes(user, m);
    expireBox(this.boxes, user, cutoff);
  }

  /** Compacts once the dead records outweigh the live ones by the slack. */
  private compactWhenDue(): void {
    if (this.compaction || this.fileBytes < this.retryAt) return;
    if (this.fileBytes - this.liveBytes > this.liveBytes + this.slack) this.compaction = this.compact();
  }

  /** Writes the messages that wait (and those being written) to a new file, renamed over the old one. */
  private async compact(): Promise<void> {
    this.held = [];
    const before = this.fileBytes;
    for (const user of [...this.boxes.keys()]) this.expire(user);
    const live: Writing[] = [...this.boxes].flatMap(([user, box]) => box.map((message) => ({ user, message })));
    live.push(...this.inFlight);
    let written = 0;
    try {
      // Every record made before now is on disk (or failed), and the old file is let go of.
      await this.log.close();
      const rows = live.filter((w) => !w.failed).map((w) => `${JSON.stringify({ op: 'put', user: w.user, ...w.message } satisfies Put)}\n`);
      await new DurableFile<string[]>(this.path, (all) => all).write(rows);
      written = rows.reduce((n, r) => n + Buffer.byteLength(r), 0);
      this.options.log.info(`Offline messages: compacted ${FILE} from ${before} to ${written} bytes (${rows.length} messages waiting)`);
      this.fileBytes = written + (this.fileBytes - before);
    } catch (e) {
      this.retryAt = this.fileBytes + this.slack;
      this.options.log.error(`Offline messages: could not compact ${FILE}: ${(e as Error).message}`);
    } finally {
      this.release();
      this.compaction = null;
    }
  }

  /** Sends the records held during a compaction to the file, in the order they were made, at once. */
  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const h of held) this.log.append(this.path, h.row).then(h.resolve, h.reject);
    // They waited for the compaction already: no batching delay on top.
    if (held.length > 0) void this.log.flush();
  }

  private load(): void {
    let records = 0;
    let torn = 0;
    try {
      readRows(this.path, (row) => {
        this.fileBytes += row.bytes;
        records++;
        const r = row.text === null ? null : parse(row.text);
        if (!r) torn++;
        else if (r.op === 'put') {
          const { op: _op, user, ...message } = r;
          this.add(user, message);
        } else {
          dropTaken(this.boxes, r.user, r.upTo);
        }
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // no file yet: nothing waits
      // Serve without what could not be read, and never compact: that would drop it for good.
      this.options.log.error(`Offline messages: could not read ${this.path}: ${(e as Error).message}`);
      this.retryAt = Infinity;
      return;
    }
    for (const user of [...this.boxes.keys()]) this.expire(user);
    let live = 0;
    for (const [user, box] of this.boxes) {
      live += box.length;
      for (const m of box) this.liveBytes += putBytes(user, m);
    }
    if (torn > 0) this.options.log.warn(`Offline messages: skipped ${torn} torn or damaged line${torn > 1 ? 's' : ''} in ${this.path}`);
    this.options.log.info(`Offline messages opened: ${live} waiting for ${this.boxes.size} accounts`);
    // Many small dead records are worth dropping at start too, where reading them cost as much.
    if (records > 2 * live + 100) this.compaction = this.compact();
    else this.compactWhenDue();
  }
}

/** Bytes of a row in the file, its newline included. */
const rowBytes = (row: string) => Buffer.byteLength(row) + 1;
/** Bytes of the put record of `message` for `user`, as written (and read back: same field order). */
const putBytes = (user: string, message: Kept) => rowBytes(JSON.stringify({ op: 'put', user, ...message } satisfies Put));
/** Adds `by` to the count of `key` in `counts`; a count of zero leaves no entry. */
function count(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
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
