/**
 * Each sender's allowance of file bytes (--file-rate), apart from the chat's flood limit: a token
 * bucket per user, refilled at the rate, holding two seconds' worth and a window, so an honest
 * sender pacing itself never hits it.
 */
interface Bucket {
  tokens: number;
  at: number;
}

export class FileRate {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;

  constructor(
    private readonly rate: number,
    window: number,
    private readonly monotonic: () => number,
  ) {
    this.capacity = 2 * rate + window;
  }

  /** Takes `bytes` from `user`'s allowance; false when there are not that many. */
  spend(user: string, bytes: number): boolean {
    const now = this.monotonic();
    let b = this.buckets.get(user);
    if (!b) this.buckets.set(user, (b = { tokens: this.capacity, at: now }));
    if (this.refill(b, now) < bytes) return false;
    b.tokens -= bytes;
    return true;
  }

  /** Drops the full allowances of users `busy` says have no transfer (they start full anyway). */
  sweep(busy: (user: string) => boolean): void {
    const now = this.monotonic();
    for (const [user, b] of this.buckets) if (!busy(user) && this.refill(b, now) >= this.capacity) this.buckets.delete(user);
  }

  private refill(b: Bucket, now: number): number {
    b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.rate);
    b.at = now;
    return b.tokens;
  }
}
