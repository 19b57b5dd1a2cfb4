/**
 * Log lines about what outsiders make happen (refused connections, junk datagrams, connections
 * that never log in), bounded: at most `lines` lines per key (an address, or one key for all)
 * per period, with what came after them counted and, if a summary is wanted, told in one line
 * when the period ends. Addresses are cheap to vary (UDP sources can be spoofed), so past
 * `maxKeys` keys in a period events are only counted, and one line says so.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../logger.js';

export interface ThrottleOptions {
  periodMs: number;
  maxKeys: number;
  /** The line said once when more keys than maxKeys come in one period. */
  tooMany: string;
  /** The line for the events of `key` past its lines, at the end of the period; none: not told. */
  summary?: (key: string, count: number) => string;
  /** Lines logged per key and period before events are only counted (default 1). */
  lines?: number;
  /** The level of every line (default warn: most of what outsiders do deserves a look). */
  level?: 'info' | 'warn';
}

export class LogThrottle {
  /** Key → when its period started, its lines logged, and the events counted since. */
  private readonly seen = new Map<string, { at: number; logged: number; count: number }>();
  private saidTooMany = false;
  private readonly lines: number;
  private readonly say: (line: string) => void;

  constructor(
    private readonly clock: Clock,
    log: Logger,
    private readonly options: ThrottleOptions,
  ) {
    this.lines = options.lines ?? 1;
    this.say = options.level === 'info' ? (line) => log.info(line) : (line) => log.warn(line);
  }

  /**
   * An event of `key`: logged with `line` while its period has lines left, else counted. True
   * when it was logged.
   */
  hit(key: string, line: () => string): boolean {
    const now = this.clock.monotonic();
    let entry = this.seen.get(key);
    if (entry && now - entry.at >= this.options.periodMs) {
      this.flush(key, entry);
      entry = undefined;
    }
    if (!entry) {
      if (this.seen.size >= this.options.maxKeys && !this.seen.has(key)) {
        if (!this.saidTooMany) this.say(this.options.tooMany);
        this.saidTooMany = true;
        return false;
      }
      entry = { at: now, logged: 0, count: 0 };
      this.seen.set(key, entry);
    }
    if (entry.logged >= this.lines) {
      entry.count++;
      return false;
    }
    entry.logged++;
    this.say(line());
    return true;
  }

  /** Ends the periods that are over (their summaries are logged); call it now and then. */
  sweep(): void {
    const now = this.clock.monotonic();
    for (const [key, entry] of this.seen) {
      if (now - entry.at < this.options.periodMs) continue;
      this.flush(key, entry);
      this.seen.delete(key);
    }
    if (this.seen.size < this.options.maxKeys) this.saidTooMany = false;
  }

  private flush(key: string, entry: { count: number }): void {
    if (entry.count > 0 && this.options.summary) this.say(this.options.summary(key, entry.count));
    entry.count = 0;
  }
}
