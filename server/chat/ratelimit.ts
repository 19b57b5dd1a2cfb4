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
  /** `justMuted`: this message crossed the line (say so once, and log it); `byOperator`: held by the operator's mute. */
  | { ok: false; justMuted: boolean; secondsLeft: number; byOperator?: true };

export class RateLimiter {
  /** Send times of the last `count` accepted messages, oldest first. */
  private readonly times: number[] = [];
  private mutedUntil = 0;

  constructor(private readonly rule: RateRule) {}

  /** Until when (monotonic ms) a flood mute holds; 0 or past: none. */
  get until(): number {
    return this.mutedUntil;
  }

  /** As plain data: the recent send times and the end of any mute. */
  state(): { times: number[]; mutedUntil: number } {
    return { times: [...this.times], mutedUntil: this.mutedUntil };
  }

  static from(rule: RateRule, state: { times: number[]; mutedUntil: number }): RateLimiter {
    const limiter = new RateLimiter(rule);
    limiter.times.push(...state.times);
    limiter.mutedUntil = state.mutedUntil;
    return limiter;
  }

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

export interface LimitsState {
  entries: { key: string; last: number; times: number[]; mutedUntil: number }[];
  held: [string, number][];
}

/**
 * The flood limits of everyone who has spoken lately, by who they are rather than by session: an
 * account's name, or a guest's address (a guest can take a new name at will). Logging out and in
 * again, or resuming, keeps the same limit and any mute that runs.
 *
 * Kept while they matter: an entry is forgotten once its window and any mute are over. The map is
 * in the order of last use (each hit moves its entry to the end), so the sweep stops at the first
 * entry still in use: O(forgotten), not O(entries).
 */
export class Limits {
  private readonly byKey = new Map<string, { limiter: RateLimiter; last: number }>();
  /**
   * The operator's mutes (`mute NAME SECONDS`), by key, until when. Apart from the flood limits:
   * they may outlast any window, which the sweep of byKey (in order of last use) cannot keep.
   */
  private readonly held = new Map<string, number>();
  /** How long after its last hit an entry can still matter. */
  private readonly keepMs: number;
  /** Mutes since the start, for flooding and by the operator. */
  mutes = 0;

  constructor(private readonly rule: RateRule) {
    this.keepMs = Math.max(rule.windowMs, rule.muteMs);
  }

  get size(): number {
    return this.byKey.size;
  }

  /** One message from `key` at `now`. */
  hit(key: string, now: number): Verdict {
    const held = this.heldFor(key, now);
    if (held > 0) return { ok: false, justMuted: false, secondsLeft: held, byOperator: true };
    const entry = this.byKey.get(key) ?? { limiter: new RateLimiter(this.rule), last: now };
    this.byKey.delete(key);
    entry.last = now;
    this.byKey.set(key, entry);
    const verdict = entry.limiter.hit(now);
    if (!verdict.ok && verdict.justMuted) this.mutes++;
    return verdict;
  }

  /** Seconds until every mute of `key` is over (0: not muted): when to say "you can talk again". */
  mutedFor(key: string, now: number): number {
    const until = Math.max(this.held.get(key) ?? 0, this.byKey.get(key)?.limiter.until ?? 0);
    return until > now ? secondsUntil(until, now) : 0;
  }

  /**
   * What `key` would be told if it sent a message now, without counting one: a cluster's server
   * refuses a muted sender's line at once, before it reaches the shared log. As hit(): the
   * operator's mute first, then a flood mute. Null: not muted.
   */
  muted(key: string, now: number): { seconds: number; byOperator: boolean } | null {
    const held = this.heldFor(key, now);
    if (held > 0) return { seconds: held, byOperator: true };
    const until = this.byKey.get(key)?.limiter.until ?? 0;
    return now < until ? { seconds: secondsUntil(until, now), byOperator: false } : null;
  }

  /** Seconds the operator's mute of `key` still runs (0: none). Most of the time nobody is held: one size test. */
  private heldFor(key: string, now: number): number {
    if (this.held.size === 0) return 0;
    const until = this.held.get(key);
    return until !== undefined && now < until ? secondsUntil(until, now) : 0;
  }

  /** The operator mutes `key` until `until` (monotonic ms); an `until` not after `now` lifts it. */
  hold(key: string, until: number, now: number): void {
    if (until <= now) {
      this.held.delete(key);
      return;
    }
    this.held.set(key, until);
    this.mutes++;
  }

  /** Everything, as plain data (a cluster's checkpoint), in the order of last use. */
  snapshot(): LimitsState {
    return {
      entries: [...this.byKey].map(([key, { limiter, last }]) => ({ key, last, ...limiter.state() })),
      held: [...this.held],
    };
  }

  /** Replaces everything with `state` (see snapshot). */
  restore(state: LimitsState): void {
    this.byKey.clear();
    this.held.clear();
    for (const { key, last, times, mutedUntil } of state.entries) {
      this.byKey.set(key, { limiter: RateLimiter.from(this.rule, { times, mutedUntil }), last });
    }
    for (const [key, until] of state.held) this.held.set(key, until);
  }

  /** Forgets the entries whose window and mute are over. */
  sweep(now: number): void {
    for (const [key, until] of this.held) if (until <= now) this.held.delete(key);
    for (const [key, entry] of this.byKey) {
      if (now - entry.last < this.keepMs) break;
      this.byKey.delete(key);
    }
  }
}
