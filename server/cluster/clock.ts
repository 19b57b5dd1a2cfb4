/**
 * The clock of a cluster's room. Every server applies the same events to its copy of the room,
 * and each must reach the same decisions (is this sender over the flood limit, is this request
 * the one that expired), so while an event is applied the room reads that event's time: the
 * millisecond in its id, given by Redis, the same on every server. Between events (heartbeats,
 * sweeps) it reads this server's own monotonic clock, started at Redis's time so both agree to
 * within the round trip, and immune to this machine's wall-clock steps.
 */
import type { Cancel, Clock } from '../../common/clock.js';

export class ReplicaClock implements Clock {
  private pinned: number | null = null;
  /** Added to the local monotonic clock to read Redis's time (see align). */
  private offset: number;

  constructor(private readonly base: Clock) {
    this.offset = base.now() - base.monotonic();
  }

  /** Redis says it is `redisNow` (ms since the epoch): read times in its terms from now on. */
  align(redisNow: number): void {
    this.offset = redisNow - this.base.monotonic();
  }

  /** The time of the event being applied, until `unpin`. */
  pin(ms: number): void {
    this.pinned = ms;
  }

  unpin(): void {
    this.pinned = null;
  }

  now(): number {
    return this.pinned ?? Math.round(this.base.monotonic() + this.offset);
  }

  monotonic(): number {
    return this.pinned ?? this.base.monotonic() + this.offset;
  }

  after(ms: number, fn: () => void): Cancel {
    return this.base.after(ms, fn);
  }

  every(ms: number, fn: () => void): Cancel {
    return this.base.every(ms, fn);
  }
}
