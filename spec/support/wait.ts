/**
 * Waiting for state that changes when packets arrive (server-side counters, log lines, the
 * number of open connections), where there is no event to wait on. Not a sleep: it polls across
 * event-loop turns and returns as soon as the condition holds.
 */
/**
 * How long a spec waits for something that is coming: a deadline, not a speed. A process started
 * on a busy two-core machine (Node's start, a connection, a bcrypt hash at the lowest priority)
 * can take seconds; a spec that passes does not wait it out.
 */
export const WAIT_MS = 15_000;

export async function waitUntil(cond: () => boolean, what: string, ms = WAIT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; !cond(); i++) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => (i < 50 ? setImmediate(r) : setTimeout(r, 2)));
  }
}
