/**
 * "You can talk again": one timer per flood limit (an account's, a guest's address), whichever
 * mute set it (a flood, the operator). A newer mute replaces it, and a timer that fires while
 * another mute still holds the limit waits for that one, so a user hears it once, when it is true.
 */
import type { Cancel, Clock } from '../../common/clock.js';
import type { Limits } from './ratelimit.js';

/** Whose limit it is: told, when it is over, to whoever then holds `limitKey` as `key`. */
export interface Muted {
  readonly key: string;
  readonly limitKey: string;
}

export class Unmutes {
  private readonly timers = new Map<string, Cancel>();

  /** `tell(who)`: whoever now holds `who.limitKey` as `who.key` (a folded name), if anyone, may talk again. */
  constructor(
    private readonly limits: Limits,
    private readonly clock: Clock,
    private readonly tell: (who: Muted) => void,
  ) {}

  /** Tells `who` they may talk again `ms` from now (or when a mute still running then ends). */
  in(who: Muted, ms: number): void {
    const { limitKey } = who;
    this.cancel(limitKey);
    const cancel = this.clock.after(ms, () => {
      this.timers.delete(limitKey);
      const left = this.limits.mutedFor(limitKey, this.clock.monotonic());
      if (left > 0) return this.in(who, left * 1000);
      this.tell(who);
    });
    this.timers.set(limitKey, cancel);
  }

  /** No "talk again" for `limitKey` any more (the mute was lifted, and said so). */
  cancel(limitKey: string): void {
    this.timers.get(limitKey)?.();
    this.timers.delete(limitKey);
  }
}
