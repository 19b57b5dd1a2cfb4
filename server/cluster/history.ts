/**
 * History on a cluster. Every server applies every group line, so each keeps the same lines in
 * memory (replay and paging never wait on Redis) and every server replays the same ones; the
 * server the line was said on also appends it to Redis, where a server starting later reads it.
 * Retention as on one server: --history-days and --history-max.
 */
import type { Clock } from '../../common/clock.js';
import type { HistoryLine } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { HISTORY_BYTES, parseHistoryLine } from '../store/history-file.js';
import { WindowedHistory } from '../store/recent-window.js';
import { KEYS, type Redis } from './redis.js';

export interface SharedHistoryOptions {
  days: number;
  max: number;
  clock: Clock;
  log: Logger;
  /** Whether the event being applied was asked for on this server (its line is this server's to write). */
  mine: () => boolean;
}

/** The kept lines are in the window, in id order: read back from Redis and applied from the log, which may overlap. */
export class SharedHistory extends WindowedHistory {
  private constructor(
    private readonly redis: Redis,
    private readonly options: SharedHistoryOptions,
  ) {
    const { days, max, clock } = options;
    super({ days, max, clock, maxBytes: HISTORY_BYTES });
  }

  /** Reads what Redis keeps (within retention). */
  static async open(redis: Redis, options: SharedHistoryOptions): Promise<SharedHistory> {
    const h = new SharedHistory(redis, options);
    const rows = await redis.lRange(KEYS.history, -options.max, -1);
    for (const row of rows) {
      const line = parseHistoryLine(row);
      if (line) h.window.insert(line);
    }
    h.window.trim();
    options.log.info(`History: ${h.window.size} lines read from Redis`);
    return h;
  }

  record(line: HistoryLine): void {
    if (!this.window.insert(line)) return;
    this.window.trimWhenDue();
    if (!this.options.mine()) return;
    const { max, log } = this.options;
    this.redis
      .multi()
      .rPush(KEYS.history, JSON.stringify(line))
      .lTrim(KEYS.history, -max, -1)
      .exec()
      .catch((e: Error) => log.warn(`History: line ${line.id} not written to Redis: ${e.message}`));
  }
}
