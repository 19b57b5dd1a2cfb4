/**
 * The group lines a history keeps in memory, oldest first by id, so replay and paging never wait
 * on a disk or on Redis: the file history (history-file.ts) and the cluster's (cluster/history.ts)
 * each hold one and differ only in where the lines are written.
 *
 * Retention: lines older than `days`, beyond the newest `max`, or beyond `maxBytes` of text are
 * forgotten. After a new line the owner trims in steps (trimWhenDue); the lines beyond `max` that
 * a step has not dropped yet are never shown.
 */
import type { Clock } from '../../common/clock.js';
import type { History, HistoryLine } from '../chat/history.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Lines kept beyond `max` before a trim drops them: trimming per line would copy the whole window each time. */
export const TRIM_SLACK = 1024;

export interface RecentWindowOptions {
  /** Days of lines kept. */
  days: number;
  /** Lines kept at most. */
  max: number;
  /** Characters of text kept at most (a fair measure of the lines' memory). */
  maxBytes: number;
  clock: Clock;
}

export class RecentWindow {
  /** Oldest first, by id. */
  private lines: HistoryLine[] = [];
  /** Characters of text in `lines`. */
  private chars = 0;
  private newest = 0;

  constructor(private readonly options: RecentWindowOptions) {}

  /** The highest line id ever added (0 for none), also once trimmed away. */
  get lastId(): number {
    return this.newest;
  }

  /** Lines in memory, those a trim is still to drop included. */
  get size(): number {
    return this.lines.length;
  }

  /** The id of the oldest line in memory, or Infinity for none. */
  get oldestId(): number {
    return this.lines[0]?.id ?? Infinity;
  }

  /** Adds a new line (ids only grow). */
  push(line: HistoryLine): void {
    this.count(line);
    this.lines.push(line);
  }

  /** Adds a line in id order (lines read back from a store and from a log may overlap); false if its id is known. */
  insert(line: HistoryLine): boolean {
    const at = indexAfterId(this.lines, line.id - 1);
    if (this.lines[at]?.id === line.id) return false;
    this.count(line);
    this.lines.splice(at, 0, line);
    return true;
  }

  /** Adds lines read at start, in any order: trim() once all are in. */
  load(lines: readonly HistoryLine[]): void {
    for (const line of lines) this.push(line);
    this.lines.sort((a, b) => a.id - b.id);
  }

  /** After a new line: trims once the lines are TRIM_SLACK beyond `max`, or the text beyond `maxBytes`. */
  trimWhenDue(): void {
    if (this.lines.length > this.options.max + TRIM_SLACK || this.chars > this.options.maxBytes) this.trim();
  }

  /** Drops lines past the retention, oldest first. */
  trim(): void {
    const cutoff = this.options.clock.now() - this.options.days * DAY_MS;
    let drop = Math.max(0, this.lines.length - this.options.max);
    let chars = this.chars;
    for (let i = 0; i < drop; i++) chars -= this.lines[i]!.text.length;
    while (drop < this.lines.length && (this.lines[drop]!.ts < cutoff || chars > this.options.maxBytes)) chars -= this.lines[drop++]!.text.length;
    if (drop === 0) return;
    this.lines = this.lines.slice(drop);
    this.chars = chars;
  }

  /** The newest `n` lines, oldest first. */
  last(n: number): HistoryLine[] {
    return this.lines.slice(Math.max(this.skip(), this.lines.length - n));
  }

  /** Up to `n` lines older than `id`, oldest first, and whether there are older ones still. */
  before(id: number, n: number): { lines: HistoryLine[]; older: boolean } {
    const end = indexAfterId(this.lines, id - 1);
    const start = Math.max(this.skip(), end - n);
    return { lines: this.lines.slice(start, end), older: start > this.skip() };
  }

  /** The lines newer than `id`, at most `max` of them (the newest), and how many more there were. */
  after(id: number, max: number): { lines: HistoryLine[]; skipped: number } {
    const from = Math.max(this.skip(), indexAfterId(this.lines, id));
    const skipped = Math.max(0, this.lines.length - from - max);
    return { lines: this.lines.slice(from + skipped), skipped };
  }

  private count(line: HistoryLine): void {
    this.chars += line.text.length;
    this.newest = Math.max(this.newest, line.id);
  }

  /** Lines in memory beyond `max` that trim() has not dropped yet. */
  private skip(): number {
    return Math.max(0, this.lines.length - this.options.max);
  }
}

/**
 * A History that answers every question from its RecentWindow: what the file history and the
 * cluster's share. Each adds how a line is recorded (`record`) and where it goes.
 */
export abstract class WindowedHistory implements History {
  readonly enabled = true;
  protected readonly window: RecentWindow;

  constructor(options: RecentWindowOptions) {
    this.window = new RecentWindow(options);
  }

  abstract record(line: HistoryLine): void;

  get lastId(): number {
    return this.window.lastId;
  }

  last(n: number): HistoryLine[] {
    return this.window.last(n);
  }

  before(id: number, n: number): { lines: HistoryLine[]; older: boolean } {
    return this.window.before(id, n);
  }

  after(id: number, max: number): { lines: HistoryLine[]; skipped: number } {
    return this.window.after(id, max);
  }
}

/** The index of the first of `lines` (in id order) with an id above `id`: a binary search. */
function indexAfterId(lines: HistoryLine[], id: number): number {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid]!.id <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
