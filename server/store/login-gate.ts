/**
 * Brute-force protection for password logins, per throttle key (an account, an address):
 * - after `maxFailures` failures for a key within a minute, attempts wait (the reply says how long);
 * - at most `maxFailures` password checks per key run at once. Failures are only known once bcrypt
 *   answers, so without this many connections guessing in parallel would all pass the throttle
 *   before the first failure was counted. A further attempt waits for a running check to finish
 *   and looks again, so a key gets fewer than 2 x maxFailures guesses a window.
 */
import type { Clock } from '../../common/clock.js';
import { FailureTracker } from './failures.js';

const WINDOW_MS = 60_000;

export interface Admission {
  /** Seconds to wait before trying again; 0 when the attempt may go ahead. */
  wait: number;
  /** Gives up the attempt's place among the running checks; safe to call twice. */
  release(): void;
}

export class LoginGate {
  private readonly failures: FailureTracker;
  /** Password checks running, per key. */
  private readonly running = new Map<string, number>();
  /**
   * Attempts waiting for a place, per key, first come first served. A finished check wakes one
   * waiter of each of its keys, not all of them: 10,000 logins from one address would otherwise
   * wake 10,000 waiters per check (measured: ~2 s of the idle benchmark's login phase).
   */
  private readonly queues = new Map<string, (() => void)[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly clock: Clock,
  ) {
    this.failures = new FailureTracker(maxFailures, WINDOW_MS);
  }

  /** Waits for a place among the running checks of every key, or says how long to wait. */
  async admit(keys: string[]): Promise<Admission> {
    /** The key whose queue woke us: a place there is ours to take or to pass on. */
    let wokenOn: string | undefined;
    for (;;) {
      const now = this.clock.monotonic();
      const wait = Math.max(...keys.map((k) => this.failures.waitFor(k, now)));
      if (wait > 0) {
        if (wokenOn !== undefined) this.wakeNext(wokenOn);
        return { wait, release: () => {} };
      }
      const full = keys.find((k) => (this.running.get(k) ?? 0) >= this.maxFailures);
      if (full === undefined) break;
      if (wokenOn !== undefined && wokenOn !== full) this.wakeNext(wokenOn);
      // Taken again before we ran: keep our turn at the front.
      const first = wokenOn === full;
      await new Promise<void>((wake) => {
        const queue = this.queues.get(full) ?? [];
        if (first) queue.unshift(wake);
        else queue.push(wake);
        this.queues.set(full, queue);
      });
      wokenOn = full;
    }
    // Taken in the same turn as the check above, so no other attempt can slip in between.
    for (const key of keys) this.running.set(key, (this.running.get(key) ?? 0) + 1);
    let released = false;
    return {
      wait: 0,
      release: () => {
        if (released) return;
        released = true;
        for (const key of keys) this.leave(key);
      },
    };
  }

  /** Records a failed check for every key. */
  fail(keys: string[]): void {
    for (const key of keys) this.failures.fail(key, this.clock.monotonic());
  }

  /** Forgets failures that have aged out. */
  sweep(): void {
    this.failures.sweep(this.clock.monotonic());
  }

  private leave(key: string): void {
    const left = (this.running.get(key) ?? 1) - 1;
    if (left > 0) this.running.set(key, left);
    else this.running.delete(key);
    this.wakeNext(key);
  }

  private wakeNext(key: string): void {
    const queue = this.queues.get(key);
    const next = queue?.shift();
    if (queue?.length === 0) this.queues.delete(key);
    next?.();
  }
}
