/**
 * Failed-login tracking for brute-force protection: after `max` failures for one key (an account
 * or an address) within `windowMs`, further attempts must wait until the oldest failure ages out.
 * Pure: the caller passes the time.
 */
import { secondsUntil } from '../../common/clock.js';

export class FailureTracker {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /**
   * Seconds to wait before `key` may try again, or 0. `pending` attempts are still running and
   * take places too: once they end they are counted or give their place back, usually within a
   * second (a hash), so that is the wait they cause.
   */
  waitFor(key: string, now: number, pending = 0): number {
    const list = this.recent(key, now);
    if (list.length + pending < this.max) return 0;
    if (list.length < this.max) return 1;
    return secondsUntil(list[0]! + this.windowMs, now);
  }

  fail(key: string, now: number): void {
    const list = this.recent(key, now);
    list.push(now);
    this.failures.set(key, list);
  }

  /** Drops entries that have aged out everywhere, so the map cannot grow without bound. */
  sweep(now: number): void {
    for (const key of this.failures.keys()) if (this.recent(key, now).length === 0) this.failures.delete(key);
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }
}
