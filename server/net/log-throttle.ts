/**
 * Log lines about what outsiders make happen (refused connections, junk datagrams), bounded: at
 * most one line per key (an address) per period, with what came after it counted and, if a
 * summary is wanted, told in one line when the period ends. Addresses are cheap to vary (UDP
 * sources can be spoofed), so past `maxKeys` keys in a period events are only counted, and one
 * line says so.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../logger.js';

export interface ThrottleOptions {
  periodMs: number;
  maxKeys: number;
  /** The line said once when more keys than maxKeys come in one period. */
  tooMany: string;
  /** The line for the events of `key` after its first, at the end of the period; none: not told. */
  summary?: (key: string, count: number) => string;
}

export class LogThrottle {
  /** Key → when its period started, and the events counted since its line. */
  private readonly seen = new Map<string, { at: number; count: number }>();
  private saidTooMany = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: ThrottleOptions,
  ) {}

  /** An event of `key`: logged with `line` if it is the first of its period, else counted. */
  hit(key: string, line: () => string): void {
    const now = this.clock.monotonic();
    const entry = this.seen.get(key);
    if (entry && now - entry.at < this.options.periodMs) {
      entry.count++;
      return;
    }
    if (!entry && this.seen.size >= this.options.maxKeys) {
      if (!this.saidTooMany) this.log.warn(this.options.tooMany);
      this.saidTooMany = true;
      return;
    }
    if (entry) this.flush(key, entry);
    this.seen.set(key, { at: now, count: 0 });
    this.log.warn(line());
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
    if (entry.count > 0 && this.options.summary) this.log.warn(this.options.summary(key, entry.count));
    entry.count = 0;
  }
}
