/**
 * Time, injected, for server and client alike. Everything that waits (private-request expiry,
 * mutes, presence, login deadlines; the client's heartbeats, reconnect attempts and give-up
 * deadline) asks the clock, so tests advance a fake clock (spec/support/fake-clock.ts) instead
 * of sleeping.
 */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`; the returned function cancels it. Never keeps the process alive. */
  after(ms: number, fn: () => void): Cancel;
  /** Runs `fn` every `ms`; the returned function stops it. Never keeps the process alive. */
  every(ms: number, fn: () => void): Cancel;
}

export const systemClock: Clock = {
  now: () => Date.now(),
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
