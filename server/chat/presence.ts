/**
 * Who is really online: a user stays online while heartbeats arrive, and is due to go offline
 * once `timeoutMs` passes without one.
 *
 * The sweep costs O(expired + 1), not O(users): a Map iterates in insertion order, and every
 * heartbeat deletes and re-inserts its entry, so the map is always ordered by last heartbeat and
 * the sweep stops at the first entry that is still fresh. This relies on `now` never going
 * backwards between calls (the room passes its monotonic clock).
 *
 * The server's own stalls do not count as anyone's silence: `stalled(ms)` (the room calls it when
 * its sweep runs late) moves every deadline out by `ms`. Times are kept on a clock that stops
 * while the server was stalled (monotonic time minus every stall so far), which keeps the order.
 */
export class Presence<T> {
  private readonly lastSeen = new Map<T, number>();
  /** Entries the last sweep looked at: expired + 1 at most (kept so the cost can be checked). */
  scanned = 0;
  /** Milliseconds the server was stalled in all: they count toward nobody's silence. */
  private stalls = 0;

  constructor(private readonly timeoutMs: number) {}

  /** How many are tracked. */
  get size(): number {
    return this.lastSeen.size;
  }

  /** Records a heartbeat (or a login) from `who` at `now`. */
  touch(who: T, now: number): void {
    this.lastSeen.delete(who);
    this.lastSeen.set(who, now - this.stalls);
  }

  /** The server could not hear anyone for `ms` (its event loop was stalled): extend every deadline. */
  stalled(ms: number): void {
    if (ms > 0) this.stalls += ms;
  }

  /** Stops tracking `who` (logout): a later sweep will not report them. */
  forget(who: T): void {
    this.lastSeen.delete(who);
  }

  /** Time of the last heartbeat from `who`, if tracked (moved later by any stall since). */
  seen(who: T): number | undefined {
    const at = this.lastSeen.get(who);
    return at === undefined ? undefined : at + this.stalls;
  }

  /** Removes and returns everyone silent for the timeout or longer, oldest first. */
  sweep(now: number): T[] {
    const gone: T[] = [];
    this.scanned = 0;
    const quiet = now - this.stalls;
    for (const [who, at] of this.lastSeen) {
      this.scanned++;
      if (quiet - at < this.timeoutMs) break;
      gone.push(who);
    }
    for (const who of gone) this.lastSeen.delete(who);
    return gone;
  }
}
