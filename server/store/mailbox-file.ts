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
 * It runs in the AppendLog's turn (between its batches): records made meanwhile wait in the log,
 * and go to the new file in order once it is in place (to the old one if the compaction failed). So the file
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
import { fileProblem } from '../../common/file-errors.js';
import { Boxes, MailboxFailed, type Kept, type Mailbox } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { AppendLog } from './append-log.js';
import { DurableFile } from './durable-file.js';
import { readRows } from './line-reader.js';
import { StoreError } from './user-file.js';

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

export class MailboxFile implements Mailbox {
  lastId = 0;
  private readonly boxes = new Boxes();
  /**
   * The bytes of each waiting message's put record, known when it was written or read: taking or
   * expiring it subtracts them from liveBytes without serialising it again.
   */
  private readonly sizes = new WeakMap<Kept, number>();
  /** Messages being written, per recipient: they count toward the cap, and their sender's share, already. */
  private readonly inFlight = new Map<string, Set<Writing>>();
  private readonly log: AppendLog;
  private readonly path: string;
  private readonly slack: number;
  /** Bytes in the file, and those of the put records of the messages that wait. */
  private fileBytes = 0;
  private liveBytes = 0;
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
    return (this.boxes.get(user)?.length ?? 0) + (this.inFlight.get(user)?.size ?? 0);
  }

  waitingFrom(user: string, from: string): number {
    this.expire(user);
    let writing = 0;
    for (const w of this.inFlight.get(user) ?? []) if (w.message.from === from) writing++;
    return this.boxes.countFrom(user, from) + writing;
  }

  fromSender(from: string): number {
    for (const user of this.boxes.recipientsOf(from)) this.expire(user);
    let writing = 0;
    for (const set of this.inFlight.values()) for (const w of set) if (w.message.from === from) writing++;
    return this.boxes.fromSender(from) + writing;
  }

  async put(user: string, message: Kept): Promise<void> {
    const row = putRow(user, message);
    const bytes = rowBytes(row);
    const entry: Writing = { user, message };
    const writing = this.inFlight.get(user) ?? new Set<Writing>();
    this.inFlight.set(user, writing.add(entry));
    this.liveBytes += bytes;
    try {
      await this.append(row);
    } catch (e) {
      entry.failed = true;
      this.liveBytes -= bytes;
      throw new MailboxFailed(`could not write ${FILE}: ${fileProblem(e, this.path)}`);
    } finally {
      writing.delete(entry);
      if (writing.size === 0 && this.inFlight.get(user) === writing) this.inFlight.delete(user);
    }
    this.add(user, message, bytes);
  }

  peek(user: string): readonly Kept[] {
    this.expire(user);
    return this.boxes.get(user) ?? [];
  }

  taken(user: string, upTo: number): void {
    if (!this.boxes.get(user)) return;
    for (const m of this.boxes.dropTaken(user, upTo)) this.liveBytes -= this.sizes.get(m)!;
    const record: Take = { op: 'take', user, upTo };
    this.append(JSON.stringify(record)).catch((e: unknown) => this.options.log.error(`Offline messages: could not write ${FILE}: ${fileProblem(e, this.path)}`));
    this.compactWhenDue();
  }

  /** Waits for a compaction under way, writes what is waiting and stops. */
  async close(): Promise<void> {
    await this.compaction;
    await this.log.close();
  }

  private add(user: string, message: Kept, bytes: number): void {
    this.boxes.add(user, message);
    this.sizes.set(message, bytes);
    this.lastId = Math.max(this.lastId, message.id);
  }

  /** Appends a record (after a compaction under way, to the new file); resolves once it is on disk. */
  private append(row: string): Promise<void> {
    this.fileBytes += rowBytes(row);
    return this.log.append(this.path, row);
  }

  /** Drops `user`'s messages that have waited longer than the days allowed. */
  private expire(user: string): void {
    const cutoff = this.options.clock.now() - this.options.days * DAY_MS;
    for (const m of this.boxes.expire(user, cutoff)) this.liveBytes -= this.sizes.get(m)!;
  }

  /** Compacts once the dead records outweigh the live ones by the slack. */
  private compactWhenDue(): void {
    if (this.compaction || this.fileBytes < this.retryAt) return;
    if (this.fileBytes - this.liveBytes > this.liveBytes + this.slack) this.compaction = this.compact();
  }

  /** Writes the messages that wait (and those being written) to a new file, renamed over the old one. */
  private async compact(): Promise<void> {
    const before = this.fileBytes;
    for (const user of [...this.boxes.users()]) this.expire(user);
    // Every record made before now: those made from now on follow the new file in the log.
    const live: Writing[] = [...this.boxes.entries()].flatMap(([user, box]) => box.map((message) => ({ user, message })));
    for (const writing of this.inFlight.values()) live.push(...writing);
    try {
      const rows = await this.log.between(async () => {
        // The records before are on disk now, or failed: a put that failed is not kept.
        const kept = live.filter((w) => !w.failed).map((w) => `${putRow(w.user, w.message)}\n`);
        await new DurableFile<string[]>(this.path, (all) => all).write(kept);
        return kept;
      });
      const written = rows.reduce((n, r) => n + Buffer.byteLength(r), 0);
      this.options.log.info(`Offline messages: compacted ${FILE} from ${before} to ${written} bytes (${rows.length} messages waiting)`);
      this.fileBytes = written + (this.fileBytes - before);
    } catch (e) {
      this.retryAt = this.fileBytes + this.slack;
      this.options.log.error(`Offline messages: could not compact ${FILE}: ${fileProblem(e, this.path)}`);
    } finally {
      this.compaction = null;
    }
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
          this.add(user, message, row.bytes);
        } else {
          this.boxes.dropTaken(r.user, r.upTo);
        }
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // no file yet: nothing waits
      // The start stops, as for a users file it cannot read. Served without them, the messages
      // acknowledged to their senders would reach nobody, unsaid, and every new one would most
      // likely fail to be written to the same file; the operator fixes it in a minute, or moves
      // the file away on purpose.
      throw new StoreError(
        `cannot read the offline messages file ${this.path} (${fileProblem(e, this.path)}): the private messages kept in it would not reach their recipients; ` +
          'make it readable by the server, or move it away to start without them',
      );
    }
    for (const user of [...this.boxes.users()]) this.expire(user);
    let live = 0;
    for (const [, box] of this.boxes.entries()) {
      live += box.length;
      for (const m of box) this.liveBytes += this.sizes.get(m)!;
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

/** The record that keeps `message` for `user`: one line of the file. */
function putRow(user: string, message: Kept): string {
  return JSON.stringify({ op: 'put', user, ...message } satisfies Put);
}
