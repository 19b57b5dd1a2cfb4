import type { Cancel, Clock } from '../../common/clock.js';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/** A clock that moves only when a test says so; timers fire in time order during `advance`. */
export class FakeClock implements Clock {
  private timers: Entry[] = [];
  private seq = 0;

  private start: number;

  constructor(private t = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.start = t;
  }

  now(): number {
    return this.t;
  }

  /** Timers set and neither fired nor cancelled: what a finished piece of work must not leave. */
  pending(): number {
    return this.timers.filter((e) => !e.cancelled).length;
  }

  /** Moves with `now` under `advance`, from its own start; `stepWall` does not move it. */
  monotonic(): number {
    return this.t - this.start;
  }

  /**
   * Steps the wall clock by `ms` (either way), as NTP or an admin might, leaving the monotonic
   * clock where it is. Timers, like real ones, are not affected.
   */
  stepWall(ms: number): void {
    this.t += ms;
    this.start += ms;
    for (const e of this.timers) e.at += ms;
  }

  after(ms: number, fn: () => void): Cancel {
    return this.add({ at: this.t + ms, seq: this.seq++, fn, cancelled: false });
  }

  every(ms: number, fn: () => void): Cancel {
    return this.add({ at: this.t + ms, seq: this.seq++, fn, every: Math.max(1, ms), cancelled: false });
  }

  /**
   * Moves time forward by `ms` without running any timer, as when the event loop is blocked; the
   * next `advance` runs what fell due meanwhile, late, and a repeating timer once (then every
   * `ms` from then on, as Node's do).
   */
  freeze(ms: number): void {
    this.t += ms;
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers
        .filter((e) => !e.cancelled && e.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      if (next.every) next.at = this.t + next.every;
      else next.cancelled = true;
      next.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((e) => !e.cancelled);
  }

  private add(e: Entry): Cancel {
    this.timers.push(e);
    return () => {
      e.cancelled = true;
    };
  }
}
