/**
 * Brute-force protection for password logins, per throttle key (an account, an address):
 * - after `maxFailures` failures for a key within a minute, attempts wait (the reply says how long);
 * - at most `maxFailures` password checks per key run at once. Failures are only known once bcrypt
 *   answers, so without this many connections guessing in parallel would all pass the throttle
 *   before the first failure was counted. A further attempt waits for a running check to finish
 *   and looks again, so a key gets fewer than 2 x maxFailures guesses a window.
 */
import type { Clock } from '../common/clock.js';
import { FailureTracker } from './ratelimit.js';

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
  private readonly running = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly maxFailures: number,
    private readonly clock: Clock,
  ) {
    this.failures = new FailureTracker(maxFailures, WINDOW_MS);
  }

  /** Waits for a place among the running checks of every key, or says how long to wait. */
  async admit(keys: string[]): Promise<Admission> {
    for (;;) {
      const now = this.clock.now();
      const wait = Math.max(...keys.map((k) => this.failures.waitFor(k, now)));
      if (wait > 0) return { wait, release: () => {} };
      const full = keys.map((k) => this.running.get(k)).find((set) => set !== undefined && set.size >= this.maxFailures);
      if (!full) break;
      await Promise.race(full);
    }
    // Taken in the same turn as the check above, so no other attempt can slip in between.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    for (const key of keys) {
      const set = this.running.get(key) ?? new Set();
      set.add(held);
      this.running.set(key, set);
    }
    void held.then(() => {
      for (const key of keys) {
        const set = this.running.get(key);
        set?.delete(held);
        if (set?.size === 0) this.running.delete(key);
      }
    });
    return { wait: 0, release };
  }

  /** Records a failed check for every key. */
  fail(keys: string[]): void {
    for (const key of keys) this.failures.fail(key, this.clock.now());
  }

  /** Forgets failures that have aged out. */
  sweep(): void {
    this.failures.sweep(this.clock.now());
  }
}
