/**
 * History in JSON-lines files, one a day (UTC), in the data folder: history-2026-12-02.jsonl,
 * each line {"id","ts","from","text"}. The files are only ever appended to (see AppendLog); the
 * kept lines are also held in memory (a RecentWindow), so replay and paging never touch the disk.
 *
 * Retention: lines older than `days`, beyond the newest `max` lines, or beyond `maxBytes` of text
 * (64 KiB lines add up: 10,000 of them would be 640 MiB), are forgotten; a file that holds only
 * such lines is deleted, at start and once a day.
 */
import { mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Cancel, Clock } from '../../common/clock.js';
import type { HistoryLine } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { AppendLog } from './append-log.js';
import { WindowedHistory } from './recent-window.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Text kept at most, whatever --history-max says. */
export const HISTORY_BYTES = 32 * 1024 * 1024;
const FILE = /^history-(\d{4}-\d{2}-\d{2})\.jsonl$/;

export interface HistoryOptions {
  dir: string;
  /** Days of lines kept (at least 1). */
  days: number;
  /** Lines kept at most. */
  max: number;
  /** Bytes of text kept at most (default HISTORY_BYTES). */
  maxBytes?: number;
  clock: Clock;
  log: Logger;
}

const dayOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);

/** The kept lines are in the window (ids only grow); the files are what survives a restart. */
export class HistoryFile extends WindowedHistory {
  /** File name → the newest line id in it, to know when a file holds nothing kept. */
  private readonly newestIn = new Map<string, number>();
  private readonly log: AppendLog;
  private stopSweep: Cancel | null = null;

  private constructor(private readonly options: HistoryOptions) {
    const { days, max, clock } = options;
    super({ days, max, clock, maxBytes: options.maxBytes ?? HISTORY_BYTES });
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
    const name = `history-${dayOf(line.ts)}.jsonl`;
    this.newestIn.set(name, line.id);
    this.window.trimWhenDue();
    this.log.append(join(this.options.dir, name), JSON.stringify(line)).catch((e: Error) => this.failed(e));
  }

  /** Forgets what retention ends and deletes the files that hold nothing kept any more. */
  sweep(): void {
    this.window.trim();
    const oldest = this.window.oldestId;
    const today = this.options.clock.now();
    for (const name of this.files()) {
      const day = Date.parse(FILE.exec(name)![1]!);
      const tooOld = today - day >= (this.options.days + 1) * DAY_MS;
      const newest = this.newestIn.get(name) ?? 0;
      if (!tooOld && newest >= oldest) continue;
      try {
        unlinkSync(join(this.options.dir, name));
        this.newestIn.delete(name);
        this.options.log.info(`History: deleted ${name} (older than the ${this.options.days} days or ${this.options.max} lines kept)`);
      } catch (e) {
        this.options.log.warn(`History: could not delete ${name}: ${(e as Error).message}`);
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

  private load(): void {
    const { dir, log } = this.options;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const names = this.files();
    const read: HistoryLine[] = [];
    let torn = 0;
    for (const name of names) {
      const text = readFileSync(join(dir, name), 'utf8');
      const rows = text.split('\n');
      for (const [i, row] of rows.entries()) {
        if (row === '') continue;
        const line = parseHistoryLine(row);
        if (!line) {
          // A crash can tear the last line of a file; anything else is damage worth a word too.
          if (i >= rows.length - 2) torn++;
          else log.warn(`History: skipped a damaged line in ${name} (line ${i + 1})`);
          continue;
        }
        read.push(line);
        this.newestIn.set(name, Math.max(this.newestIn.get(name) ?? 0, line.id));
      }
    }
    if (torn > 0) log.warn(`History: skipped ${torn} torn last line${torn > 1 ? 's' : ''} (left by a crash)`);
    this.window.load(read);
    this.sweep();
    log.info(`History opened in ${dir}: ${names.length} files, ${this.window.size} lines kept`);
  }

  private files(): string[] {
    try {
      return readdirSync(this.options.dir).filter((f) => FILE.test(f)).sort();
    } catch {
      return [];
    }
  }

  private failed(e: Error): void {
    this.options.log.error(`History: could not write: ${e.message}`);
  }
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
