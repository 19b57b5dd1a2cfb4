/**
 * Sessions waiting for a resume without a connection, longest waiting first, in all and by the
 * address each waits from. Such sessions cost memory without a connection and heartbeats alone
 * keep them, so the room bounds them like connections (see Room.lost): this is what it counts.
 */
export class Waiting<S> {
  /** Session → the address it waits from; a Map keeps insertion order: the oldest first. */
  private readonly from = new Map<S, string>();
  private readonly byAddress = new Map<string, Set<S>>();

  get size(): number {
    return this.from.size;
  }

  /** `session` waits, counted against `address`; the sessions now waiting from there, oldest first. */
  add(session: S, address: string): ReadonlySet<S> {
    this.from.set(session, address);
    let here = this.byAddress.get(address);
    if (!here) this.byAddress.set(address, (here = new Set()));
    here.add(session);
    return here;
  }

  /** `session` no longer waits (it resumed, or ended); nothing if it was not waiting. */
  remove(session: S): void {
    const address = this.from.get(session);
    if (address === undefined) return;
    this.from.delete(session);
    const here = this.byAddress.get(address)!;
    here.delete(session);
    if (here.size === 0) this.byAddress.delete(address);
  }

  /** Where `session` waits from, if it waits. */
  addressOf(session: S): string | undefined {
    return this.from.get(session);
  }

  /** The session that has waited longest, if any. */
  oldest(): S | undefined {
    return this.from.keys().next().value;
  }

  /** Every waiting session with its address, longest waiting first. */
  entries(): IterableIterator<[S, string]> {
    return this.from.entries();
  }
}
