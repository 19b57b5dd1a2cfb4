/**
 * Time, injected, for server and client alike. Everything that waits (private-request expiry,
 * mutes, presence, login deadlines; the client's heartbeats, reconnect attempts and give-up
 * deadline) asks the clock, so tests advance a fake clock (spec/support/fake-clock.ts) instead
 * of sleeping. Durations are measured on the monotonic clock, never on the wall clock.
 */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds since the epoch: for timestamps people read (a line's time, an account's date). */
  now(): number;
  /**
   * Milliseconds on a clock that only moves forward, from an arbitrary start: for durations and
   * deadlines (presence, rate limits, request expiry). A wall-clock step (NTP, a suspended VM, an
   * admin's `date -s`) must not mark every user offline at once, or keep the silent ones online.
   */
  monotonic(): number;
  /** Runs `fn` once after `ms`; the returned function cancels it. Never keeps the process alive. */
  after(ms: number, fn: () => void): Cancel;
  /** Runs `fn` every `ms`; the returned function stops it. Never keeps the process alive. */
  every(ms: number, fn: () => void): Cancel;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/**
 * Whole seconds from `now` until `t` (at least 1): what a user is told to wait. The difference
 * is rounded to whole milliseconds first: monotonic times have fractions, and (now + 60000) - now
 * can come out a hair above 60000, which would say 61 s for a 60 s mute.
 */
export function secondsUntil(t: number, now: number): number {
  return Math.max(1, Math.ceil(Math.round(t - now) / 1000));
}
