/**
 * Who is really online: a user stays online while heartbeats arrive, and is due to go offline
 * once `timeoutMs` passes without one.
 *
 * The sweep costs O(expired + 1), not O(users): a Map iterates in insertion order, and every
 * heartbeat deletes and re-inserts its entry, so the map is always ordered by last heartbeat and
 * the sweep stops at the first entry that is still fresh. This relies on `now` never going
 * backwards between calls (the hub passes its clock's time).
 */
export class Presence<T> {
  private readonly lastSeen = new Map<T, number>();
  /** Entries the last sweep looked at: expired + 1 at most (kept so the cost can be checked). */
  scanned = 0;

  constructor(private readonly timeoutMs: number) {}

  /** How many are tracked. */
  get size(): number {
    return this.lastSeen.size;
  }

  /** Records a heartbeat (or a login) from `who` at `now`. */
  touch(who: T, now: number): void {
    this.lastSeen.delete(who);
    this.lastSeen.set(who, now);
  }

  /** Stops tracking `who` (logout): a later sweep will not report them. */
  forget(who: T): void {
    this.lastSeen.delete(who);
  }

  /** Time of the last heartbeat from `who`, if tracked. */
  seen(who: T): number | undefined {
    return this.lastSeen.get(who);
  }

  /** Removes and returns everyone silent for the timeout or longer, oldest first. */
  sweep(now: number): T[] {
    const gone: T[] = [];
    this.scanned = 0;
    for (const [who, at] of this.lastSeen) {
      this.scanned++;
      if (now - at < this.timeoutMs) break;
      gone.push(who);
    }
    for (const who of gone) this.lastSeen.delete(who);
    return gone;
  }
}
