/**
 * Waiting for state that changes when packets arrive (server-side counters, log lines, the
 * number of open connections), where there is no event to wait on. Not a sleep: it polls across
 * event-loop turns and returns as soon as the condition holds.
 */
export async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let i = 0; !cond(); i++) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => (i < 50 ? setImmediate(r) : setTimeout(r, 2)));
  }
}
