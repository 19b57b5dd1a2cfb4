/**
 * Who is alive: each server life holds a lease in Redis (a key that expires in LEASE_MS unless
 * renewed every RENEW_MS). A life whose lease is gone has ended (a SIGKILL, a machine lost, a
 * server cut off from Redis): its users are offline, told through the log once (the first
 * server to see it says so; the others' `gone` for the same life changes nothing).
 *
 * After Redis itself was away, every lease may have run out meanwhile: nobody is judged until
 * LEASE_MS after the connection is back, which gives every living server time to renew.
 */
import { KEYS, type Redis } from './redis.js';

export const LEASE_MS = 5000;
export const RENEW_MS = 1000;

export class Leases {
  /** When the connection to Redis was last (re)made (monotonic ms); null while it is down. */
  private upSince: number | null;
  /** Lives already reported gone (waiting for the log to say so). */
  private readonly reported = new Set<string>();
  /**
   * When the renewal still unanswered was sent (ms), or null. A Redis that hangs (a stopped
   * process, a stalled disk) drops no connection, so no error says it is away: a renewal
   * unanswered for a whole lease does (see renewOnce).
   */
  private renewing: number | null = null;
  /** A judgement is under way: another would only queue behind it on a slow Redis. */
  private judging = false;

  constructor(
    private readonly redis: Redis,
    private readonly now: () => number,
    private readonly leaseMs = LEASE_MS,
  ) {
    this.upSince = now();
  }

  /** Renews this life's lease. */
  renew(incarnation: string, node: string): Promise<void> {
    return this.redis.set(KEYS.lease(incarnation), node, { expiration: { type: 'PX', value: this.leaseMs } }).then(() => undefined);
  }

  /**
   * Renews this life's lease, one renewal at a time (a new one only when `send` and none is out):
   * true once answered. While one is out, `hung` is told how long it has waited once that is a
   * whole lease: past it, the lease has run out in Redis anyway.
   */
  async renewOnce(incarnation: string, node: string, send: boolean, hung: (waitedMs: number) => void): Promise<boolean> {
    const now = this.now();
    if (this.renewing !== null) {
      if (now - this.renewing >= this.leaseMs) hung(now - this.renewing);
      return false;
    }
    if (!send) return false;
    this.renewing = now;
    try {
      await this.renew(incarnation, node);
      return true;
    } catch {
      return false;
    } finally {
      this.renewing = null;
    }
  }

  /** Gives the lease up (a clean stop). */
  release(incarnation: string): Promise<void> {
    return this.redis.del(KEYS.lease(incarnation)).then(() => undefined);
  }

  down(): void {
    this.upSince = null;
  }

  up(): void {
    this.upSince = this.now();
  }

  /** The lives among `lives` whose lease is gone, each reported once; none while it is too early to tell. */
  async ended(lives: Iterable<string>): Promise<string[]> {
    if (this.judging || this.upSince === null || this.now() - this.upSince < this.leaseMs) return [];
    const list = [...lives].filter((l) => !this.reported.has(l));
    if (list.length === 0) return [];
    this.judging = true;
    try {
      const held = await this.redis.mGet(list.map((l) => KEYS.lease(l)));
      const gone = list.filter((_, i) => held[i] === null);
      for (const l of gone) this.reported.add(l);
      return gone;
    } finally {
      this.judging = false;
    }
  }

  /** The log said `incarnation` is gone (or it could not be told: try again). */
  settled(incarnation: string): void {
    this.reported.delete(incarnation);
  }
}
