/**
 * Flood control (seed 000): more than `count` messages within `windowMs` mutes the sender for
 * `muteMs`. Pure: the caller passes the time, so tests need no sleeping.
 */
export interface RateRule {
  count: number;
  windowMs: number;
  muteMs: number;
}

export type Verdict =
  | { ok: true }
  /** `justMuted`: this message crossed the line (say so once, and log it). */
  | { ok: false; justMuted: boolean; secondsLeft: number };

export class RateLimiter {
  /** Send times of the last `count` accepted messages, oldest first. */
  private readonly times: number[] = [];
  private mutedUntil = 0;

  constructor(private readonly rule: RateRule) {}

  hit(now: number): Verdict {
    if (now < this.mutedUntil) return { ok: false, justMuted: false, secondsLeft: secondsUntil(this.mutedUntil, now) };
    const { count, windowMs, muteMs } = this.rule;
    if (this.times.length === count && now - this.times[0]! < windowMs) {
      this.mutedUntil = now + muteMs;
      this.times.length = 0;
      return { ok: false, justMuted: true, secondsLeft: secondsUntil(this.mutedUntil, now) };
    }
    if (this.times.length === count) this.times.shift();
    this.times.push(now);
    return { ok: true };
  }
}

function secondsUntil(t: number, now: number): number {
  return Math.max(1, Math.ceil((t - now) / 1000));
}

/**
 * Failed-login tracking for brute-force protection: after `max` failures for one key (an account
 * or an address) within `windowMs`, further attempts must wait until the oldest failure ages out.
 */
export class FailureTracker {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds to wait before `key` may try again, or 0. */
  waitFor(key: string, now: number): number {
    const list = this.recent(key, now);
    if (list.length < this.max) return 0;
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
