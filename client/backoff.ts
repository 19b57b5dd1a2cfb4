/**
 * Reconnect pacing: 0.5 s, doubling to at most 5 s, each delay drawn between half and all of its
 * step ("equal jitter"). The jitter matters when a server restarts: its clients then come back
 * spread out instead of all in the same millisecond.
 */
export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 5000;

/** Delay before reconnect attempt number `attempt` (0 for the first); `random` returns [0, 1). */
export function backoffDelay(attempt: number, random: () => number): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(attempt, 16));
  return Math.round(step / 2 + (random() * step) / 2);
}
