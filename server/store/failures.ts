/**
 * Failed-login tracking for brute-force protection: after `max` failures for one key (an account
 * or an address) within `windowMs`, further attempts must wait until enough of them age out.
 * Pure: the caller passes the time.
 *
 * Only a key's `max` most recent failures are kept, oldest first: they decide every answer (the
 * wait ends when the oldest of them ages out), they bound what one key can make us hold, and
 * pruning from the front touches only what has aged out. The bench's registrations, all from one
 * address under a limit set out of the way, used to filter a list of thousands on every one.
 * Failures may come out of order (on a cluster, another server's arrive through the shared log
 * after this server's own): each is put in its place, usually the end.
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
    const count = list?.length ?? 0;
    if (count + pending < this.max) return 0;
    if (count < this.max) return 1;
    return secondsUntil(list![0]! + this.windowMs, now);
  }

  fail(key: string, now: number): void {
    // Without a limit nothing would ever wait: nothing to remember.
    if (this.max === Infinity) return;
    const list = this.recent(key, now);
    if (!list) {
      this.failures.set(key, [now]);
      return;
    }
    let at = list.length;
    while (at > 0 && list[at - 1]! > now) at--;
    list.splice(at, 0, now);
    if (list.length > this.max) list.shift();
  }

  /** Drops entries that have aged out everywhere, so the map cannot grow without bound. */
  sweep(now: number): void {
    for (const key of this.failures.keys()) this.recent(key, now);
  }

  /** `key`'s failures within the window, oldest first, or undefined (and forgotten) if none. */
  private recent(key: string, now: number): number[] | undefined {
    const list = this.failures.get(key);
    if (!list) return undefined;
    let aged = 0;
    while (aged < list.length && now - list[aged]! >= this.windowMs) aged++;
    if (aged === list.length) {
      this.failures.delete(key);
      return undefined;
    }
    if (aged > 0) list.splice(0, aged);
    return list;
  }
}
