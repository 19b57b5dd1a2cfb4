/**
 * History in JSON-lines files, one a day (UTC), in the data folder: history-2026-12-02.jsonl,
 * each line {"id","ts","from","text"}. The files are only ever appended to (see AppendLog), but
 * for one rewrite at start (below); the kept lines are also held in memory (a RecentWindow), so
 * replay and paging never touch the disk.
 *
 * Retention: lines older than `days`, beyond the newest `max` lines, or beyond `maxBytes` of text
 * (64 KiB lines add up: 10,000 of them would be 640 MiB), are forgotten. So that the disk keeps no
 * more than memory does, a day's file is written in segments (history-2026-12-02.1.jsonl, .2, ...)
 * of `segmentBytes` each: once a segment is full the next line starts another, and the segments
 * that hold only forgotten lines are deleted, then, at start and once a day. The files then hold
 * the kept lines and at most one segment more. (One file a day grew with all the day's lines: one
 * account at the flood limit writes 9 GB a day.)
 *
 * At start the files are read a piece at a time, only the lines the window keeps are held, and a
 * file that cannot be read, or a line that is damaged or too long, is skipped with a warning.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Cancel, Clock } from '../../common/clock.js';
import { fileProblem } from '../../common/file-errors.js';
import { makeDirs } from '../../common/make-dirs.js';
import type { HistoryLine } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { AppendLog } from './append-log.js';
import { DurableFile } from './durable-file.js';
import { readRows, type Row } from './line-reader.js';
import { WindowedHistory } from './recent-window.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Text kept at most, whatever --history-max says. */
export const HISTORY_BYTES = 32 * 1024 * 1024;
/** history-DAY.jsonl is a day's first segment, history-DAY.N.jsonl its N+1st. */
const FILE = /^history-(\d{4}-\d{2}-\d{2})(?:\.(\d{1,9}))?\.jsonl$/;

export interface HistoryOptions {
  dir: string;
  /** Days of lines kept (at least 1). */
  days: number;
  /** Lines kept at most. */
  max: number;
  /** Bytes of text kept at most (default HISTORY_BYTES). */
  maxBytes?: number;
  /** Bytes of a file before the next line starts a new one (default a quarter of maxBytes). */
  segmentBytes?: number;
  clock: Clock;
  log: Logger;
}

/** What the history knows of a file on disk. */
interface Segment {
  /** The newest line id in it: the file holds nothing kept once the window's oldest is newer. */
  newest: number;
  /** Its size, to know when it is full. */
  bytes: number;
}

/** A file's rows, one line each, as they are appended. */
function* rowsOf(lines: readonly HistoryLine[]): Iterable<string> {
  for (const line of lines) yield `${JSON.stringify(line)}\n`;
}

const dayOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);
const nameOf = (day: string, segment: number) => (segment === 0 ? `history-${day}.jsonl` : `history-${day}.${segment}.jsonl`);

/** The kept lines are in the window (ids only grow); the files are what survives a restart. */
export class HistoryFile extends WindowedHistory {
  private readonly segments = new Map<string, Segment>();
  /** Day → the segment lines of that day go to. */
  private readonly current = new Map<string, number>();
  private readonly segmentBytes: number;
  private readonly log: AppendLog;
  private stopSweep: Cancel | null = null;

  private constructor(private readonly options: HistoryOptions) {
    const { days, max, clock } = options;
    const maxBytes = options.maxBytes ?? HISTORY_BYTES;
    super({ days, max, clock, maxBytes });
    this.segmentBytes = options.segmentBytes ?? Math.ceil(maxBytes / 4);
    this.log = new AppendLog({ clock });
  }

  /** Reads the kept files (dropping what retention ends) and starts the daily sweep. */
  static open(options: HistoryOptions): HistoryFile {
    const history = new HistoryFile(options);
    history.load();
    history.stopSweep = options.clock.every(DAY_MS, () => history.sweep());
    return history;
  }

  record(line: HistoryLine): void {
    this.window.push(line);
    this.window.trimWhenDue();
    const day = dayOf(line.ts);
    const name = nameOf(day, this.current.get(day) ?? 0);
    const row = JSON.stringify(line);
    const segment = this.segments.get(name) ?? { newest: 0, bytes: 0 };
    segment.newest = line.id;
    segment.bytes += Buffer.byteLength(row) + 1;
    this.segments.set(name, segment);
    const path = join(this.options.dir, name);
    this.log.append(path, row).catch((e: unknown) => this.options.log.error(`History: could not write ${name}: ${fileProblem(e, path)}`));
    if (segment.bytes < this.segmentBytes) return;
    // Full: the next line starts a new segment, and what the window let go of can go from the disk,
    // once written (a file deleted before its batch is written would be made again by the write).
    this.roll(name);
    void this.log.flush().then(() => this.sweep());
  }

  /** Forgets what retention ends and deletes the files that hold nothing kept any more. */
  sweep(): void {
    this.window.trim();
    const oldest = this.window.oldestId;
    const today = this.options.clock.now();
    for (const name of this.files()) {
      const day = Date.parse(FILE.exec(name)![1]!);
      const tooOld = today - day >= (this.options.days + 1) * DAY_MS;
      const newest = this.segments.get(name)?.newest ?? 0;
      if (!tooOld && newest >= oldest) continue;
      const path = join(this.options.dir, name);
      try {
        unlinkSync(path);
        this.roll(name);
        this.segments.delete(name);
        this.options.log.info(`History: deleted ${name} (older than the ${this.options.days} days, ${this.options.max} lines or bytes of text kept)`);
      } catch (e) {
        this.options.log.warn(`History: could not delete ${name}: ${fileProblem(e, path)}`);
      }
    }
  }

  /** Resolves once every line recorded so far is on disk. */
  flush(): Promise<void> {
    return this.log.flush();
  }

  /** Writes what is waiting and stops. */
  async close(): Promise<void> {
    this.stopSweep?.();
    await this.log.close();
  }

  /** If `name` is where its day's lines go, they go to the next segment from now on (never back to a deleted file). */
  private roll(name: string): void {
    const [, day, n] = FILE.exec(name)!;
    const segment = Number(n ?? 0);
    if ((this.current.get(day!) ?? 0) <= segment) this.current.set(day!, segment + 1);
  }

  private load(): void {
    const { dir, log } = this.options;
    makeDirs(dir, 0o700);
    const names = this.files();
    /** Where each line in the window was read, to rewrite a file down to its kept lines. */
    const origin = new WeakMap<HistoryLine, { name: string; bytes: number }>();
    let torn = 0;
    for (const name of names) {
      const segment: Segment = { newest: 0, bytes: 0 };
      this.segments.set(name, segment);
      this.current.set(FILE.exec(name)![1]!, Number(FILE.exec(name)![2] ?? 0));
      const damaged: Damage = { count: 0, first: null };
      try {
        readRows(join(dir, name), (row) => {
          segment.bytes += row.bytes;
          const line = row.text === null ? null : parseHistoryLine(row.text);
          // A crash can tear the last line of a file; anything else is damage worth a word too.
          if (!line && row.last && row.text !== null) torn++;
          else if (!line && damaged.count++ === 0) damaged.first = row;
          if (!line) return;
          segment.newest = Math.max(segment.newest, line.id);
          if (!this.window.insert(line)) return;
          origin.set(line, { name, bytes: row.bytes });
          this.window.trimWhenDue();
        });
      } catch (e) {
        // Unreadable (permissions, a folder by that name): skip it, and never append to it.
        log.warn(`History: skipped ${name}, which could not be read: ${fileProblem(e, join(dir, name))}`);
        segment.bytes = Infinity;
      }
      warnDamaged(log, name, damaged);
    }
    if (torn > 0) log.warn(`History: skipped ${torn} torn last line${torn > 1 ? 's' : ''} (left by a crash)`);
    this.sweep();
    this.shrink(origin);
    // A full segment (or one that could not be read) is not appended to: the next line starts one.
    for (const [name, segment] of this.segments) if (segment.bytes >= this.segmentBytes) this.roll(name);
    log.info(`History opened in ${dir}: ${names.length} files, ${this.window.size} lines kept`);
  }

  /**
   * Rewrites each file that holds more than a segment of forgotten lines down to its kept ones:
   * such a file was written before days had segments (one was 563 MiB), and would otherwise stay
   * until its last line is forgotten. At start, before anyone is served; durable (rename).
   */
  private shrink(origin: WeakMap<HistoryLine, { name: string; bytes: number }>): void {
    const kept = new Map<string, HistoryLine[]>();
    const keptBytes = new Map<string, number>();
    for (const line of this.window.last(this.window.size)) {
      const from = origin.get(line);
      if (!from) continue;
      if (!kept.has(from.name)) kept.set(from.name, []);
      kept.get(from.name)!.push(line);
      keptBytes.set(from.name, (keptBytes.get(from.name) ?? 0) + from.bytes);
    }
    for (const [name, lines] of kept) {
      const segment = this.segments.get(name)!;
      if (!(segment.bytes - keptBytes.get(name)! > this.segmentBytes) || segment.bytes === Infinity) continue;
      const path = join(this.options.dir, name);
      try {
        const was = segment.bytes;
        segment.bytes = new DurableFile(path, rowsOf).writeSync(lines);
        this.options.log.info(`History: rewrote ${name} to the ${lines.length} lines kept (${was} bytes, now ${segment.bytes})`);
      } catch (e) {
        this.options.log.warn(`History: could not rewrite ${name}: ${fileProblem(e, path)}`);
      }
    }
  }

  /** The history files, oldest first: by day, then by segment. */
  private files(): string[] {
    try {
      const key = (name: string) => {
        const [, day, n] = FILE.exec(name)!;
        return `${day}.${(n ?? '0').padStart(9, '0')}`;
      };
      return readdirSync(this.options.dir)
        .filter((f) => FILE.test(f))
        .sort((a, b) => (key(a) < key(b) ? -1 : 1));
    } catch {
      return [];
    }
  }
}

/** The damaged lines of a file: how many, and the first (to name it). */
interface Damage {
  count: number;
  first: Row | null;
}

/** One warning per file for its damaged lines, however many: a line each could flood the log. */
function warnDamaged(log: Logger, name: string, { count, first }: Damage): void {
  if (!first) return;
  const what = first.text === null ? 'an oversized line' : 'a damaged line';
  if (count === 1) log.warn(`History: skipped ${what} in ${name} (line ${first.number})`);
  else log.warn(`History: skipped ${count} damaged or oversized lines in ${name} (the first at line ${first.number})`);
}

/** One stored line (a JSON object) as a HistoryLine, or null if it is not one: torn, damaged, not ours. */
export function parseHistoryLine(row: string): HistoryLine | null {
  try {
    const v = JSON.parse(row) as Partial<HistoryLine>;
    if (typeof v.id === 'number' && typeof v.ts === 'number' && typeof v.from === 'string' && typeof v.text === 'string') {
      return { id: v.id, ts: v.ts, from: v.from, text: v.text, ...(v.action === true ? { action: true } : {}) };
    }
  } catch {
    // not JSON: torn or damaged
  }
  return null;
}
