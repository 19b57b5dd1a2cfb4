/**
 * Places for connections, in all and per remote address (--max-connections, --max-per-address).
 * A connection takes one when it is accepted and gives it back when it closes. (Sessions waiting
 * for a resume without a connection have a pool of their own with the same bounds: see
 * Room.lost. Were they to hold their connection's place, a whole office reconnecting after a
 * network blip would be refused the connections it needs to resume.)
 */
/** Why a connection found no place: the server is full, or its address has all it may have. */
export interface Full {
  limit: 'server' | 'address';
  max: number;
}

export class Admission {
  private taken = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    private max: number,
    private readonly maxPerAddress: number,
  ) {}

  /** Places held: open connections. */
  get count(): number {
    return this.taken;
  }

  /** The most connections in all (lowered at start to what the open-file limit allows). */
  get limit(): number {
    return this.max;
  }

  set limit(max: number) {
    this.max = max;
  }

  /**
   * Takes a place for `address`: null when taken, else which limit refused it (the server's, or
   * that address's), so that the refusal can say which and how many.
   */
  take(address: string): Full | null {
    const here = this.perAddress.get(address) ?? 0;
    if (this.taken >= this.max) return { limit: 'server', max: this.max };
    if (here >= this.maxPerAddress) return { limit: 'address', max: this.maxPerAddress };
    this.taken++;
    this.perAddress.set(address, here + 1);
    return null;
  }

  release(address: string): void {
    const here = this.perAddress.get(address) ?? 0;
    if (here === 0) return;
    if (here > 1) this.perAddress.set(address, here - 1);
    else this.perAddress.delete(address);
    this.taken--;
  }
}
