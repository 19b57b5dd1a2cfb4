/**
 * Time, injected. The client waits for things (the next heartbeat, the next reconnect attempt,
 * the give-up deadline, the goodbye after LOGOUT); tests drive those waits with a fake clock
 * instead of sleeping. Same shape as the server's Clock, so spec/support/fake-clock.ts fits both.
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

/** Real time. Timers are unref'd: what keeps the client alive is its terminal and main.ts. */
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
