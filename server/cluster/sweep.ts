/**
 * Decisions only time makes, on a cluster (the server's sweep, every SWEEP_MS): a user silent for
 * the heartbeat timeout, a private-chat request unanswered, a server whose lease ran out. Each is
 * made once, by the user's own server (the lease, by any that notices), and goes through the log
 * like any other change, so every server applies it at the same place in the log's order.
 */
import type { Request } from '../chat/consent.js';
import type { Room } from '../chat/room.js';
import type { Session } from '../chat/session.js';
import type { Reach } from '../net/delivery.js';
import type { ReplicaClock } from './clock.js';
import type { Membership } from './membership.js';
import type { Replica } from './replica.js';

export class ClusterSweep {
  /** Decisions sent to the log and not yet read back: requests expiring, users going offline. */
  private readonly expiring = new Set<string>();
  private readonly ending = new WeakSet<Session<Reach>>();

  constructor(
    private readonly room: Room<Reach>,
    private readonly replica: Replica,
    private readonly membership: Membership,
    private readonly clock: ReplicaClock,
    /** --heartbeat-timeout, in seconds. */
    private readonly heartbeatTimeout: number,
  ) {}

  /** The room's sweep, whose decisions about this server's users go to the log. */
  sweep(): void {
    this.room.sweep({ silent: (s) => this.silent(s), expired: (r) => this.expired(r) });
    void this.membership.judgeLeases();
  }

  private silent(s: Session<Reach>): void {
    const p = this.replica.placement(s);
    if (!p || p.home !== this.replica.incarnation || this.ending.has(s)) return;
    this.ending.add(s);
    this.membership.post({ t: 'end', user: s.key, s: p.serial, reason: 'offline' }).catch(() => {
      // Judged again at the next sweep.
      this.ending.delete(s);
      this.room.presence.touch(s, this.clock.monotonic() - this.heartbeatTimeout * 1000);
    });
  }

  private expired(r: Request): void {
    const from = this.room.byKey(r.from);
    if (!from || !this.replica.isHome(from)) return;
    const key = `${r.from}>${r.to}@${r.at}`;
    if (this.expiring.has(key)) return;
    this.expiring.add(key);
    const done = () => this.expiring.delete(key);
    this.membership.post({ t: 'expire', from: r.from, to: r.to, at: r.at }).then(done, done);
  }
}
