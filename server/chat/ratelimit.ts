/**
 * Flood control (seed 000): more than `count` messages within `windowMs` mutes the sender for
 * `muteMs`. Pure: the caller passes the time, so tests need no sleeping.
 */
import { secondsUntil } from '../../common/clock.js';

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
