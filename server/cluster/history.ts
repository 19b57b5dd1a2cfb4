/**
 * History on a cluster. Every server applies every group line, so each keeps the same lines in
 * memory (replay and paging never wait on Redis) and every server replays the same ones; the
 * server the line was said on also appends it to Redis, where a server starting later reads it.
 * Retention as on one server: --history-days and --history-max.
 */
import type { Clock } from '../../common/clock.js';
import type { History, HistoryLine } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { HISTORY_BYTES, TRIM_SLACK, indexAfterId, parseHistoryLine } from '../store/history-file.js';
import { KEYS, type Redis } from './redis.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface SharedHistoryOptions {
  days: number;
  max: number;
  clock: Clock;
  log: Logger;
  /** Whether the event being applied was asked for on this server (its line is this server's to write). */
  mine: () => boolean;
}

export class SharedHistory implements History {
  readonly enabled = true;
  lastId = 0;
  /** Oldest first, by id. */
  private lines: HistoryLine[] = [];
  private chars = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly options: SharedHistoryOptions,
  ) {}

  /** Reads what Redis keeps (within retention). */
  static async open(redis: Redis, options: SharedHistoryOptions): Promise<SharedHistory> {
    const h = new SharedHistory(redis, options);
    const rows = await redis.lRange(KEYS.history, -options.max, -1);
    for (const row of rows) {
      const line = parseHistoryLine(row);
      if (line) h.add(line);
    }
    h.trim();
    options.log.info(`History: ${h.lines.length} lines read from Redis`);
    return h;
  }

  record(line: HistoryLine): void {
    if (!this.add(line)) return;
    // Trimmed in steps, not per line: slicing a full history for every line copies it each time.
    if (this.lines.length > this.options.max + TRIM_SLACK || this.chars > HISTORY_BYTES) this.trim();
    if (!this.options.mine()) return;
    const { max, log } = this.options;
    this.redis
      .multi()
      .rPush(KEYS.history, JSON.stringify(line))
      .lTrim(KEYS.history, -max, -1)
      .exec()
      .catch((e: Error) => log.warn(`History: line ${line.id} not written to Redis: ${e.message}`));
  }

  last(n: number): HistoryLine[] {
    return this.lines.slice(Math.max(this.skip(), this.lines.length - n));
  }

  before(id: number, n: number): { lines: HistoryLine[]; older: boolean } {
    const end = this.indexAfter(id - 1);
    const start = Math.max(this.skip(), end - n);
    return { lines: this.lines.slice(start, end), older: start > this.skip() };
  }

  after(id: number, max: number): { lines: HistoryLine[]; skipped: number } {
    const from = Math.max(this.skip(), this.indexAfter(id));
    const skipped = Math.max(0, this.lines.length - from - max);
    return { lines: this.lines.slice(from + skipped), skipped };
  }

  /** Adds a line in id order (lines read back from Redis and from the log may overlap); false if known. */
  private add(line: HistoryLine): boolean {
    const at = this.indexAfter(line.id - 1);
    if (this.lines[at]?.id === line.id) return false;
    this.lines.splice(at, 0, line);
    this.chars += line.text.length;
    this.lastId = Math.max(this.lastId, line.id);
    return true;
  }

  private trim(): void {
    const cutoff = this.options.clock.now() - this.options.days * DAY_MS;
    let drop = Math.max(0, this.lines.length - this.options.max);
    let chars = this.chars;
    for (let i = 0; i < drop; i++) chars -= this.lines[i]!.text.length;
    while (drop < this.lines.length && (this.lines[drop]!.ts < cutoff || chars > HISTORY_BYTES)) chars -= this.lines[drop++]!.text.length;
    if (drop === 0) return;
    this.lines = this.lines.slice(drop);
    this.chars = chars;
  }

  /** Lines in memory beyond --history-max that trim() has not dropped yet. */
  private skip(): number {
    return Math.max(0, this.lines.length - this.options.max);
  }

  private indexAfter(id: number): number {
    return indexAfterId(this.lines, id);
  }
}
