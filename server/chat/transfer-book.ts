/**
 * The transfers a server holds (both halves of its users' transfers, on a cluster), by key and by
 * user (a reverse index, so a user's transfers are found, counted and ended without a scan), and
 * the limits counted from them.
 */
import { chatError, type ChatError } from '../../common/errors.js';
import type { Endpoint } from './outbox.js';
import type { Session } from './session.js';

/**
 * Transfers one user may take part in at once: those they send, answered or not, and those they
 * receive once they said yes. An offer takes a place of its sender's only: were it to take one of
 * the receiver's too, two offers from a stranger, renewed as they expire, would keep the receiver
 * from sending or receiving anything.
 */
export const MAX_PER_USER = 2;
/** Offers one user may have waiting for their answer: what strangers can make them hold. */
export const MAX_OFFERS_WAITING = 4;
/** Of those, from one sender: one stranger cannot fill them. */
export const MAX_OFFERS_FROM_ONE = 1;

export interface Transfer<E extends Endpoint> {
  readonly id: string;
  readonly key: string;
  readonly from: Session<E>;
  readonly to: Session<E>;
  readonly size: number;
  /** The offer's name and digest were sealed: the chunks must be too. */
  readonly sealed: boolean;
  /** offered → running (accepted) → sent (every byte relayed; the receiver checks it). */
  state: 'offered' | 'running' | 'sent';
  nextSeq: number;
  /** File bytes relayed so far. */
  bytes: number;
  /** Relayed and not acknowledged, oldest first: [seq, file bytes]. */
  readonly unacked: [number, number][];
  unackedBytes: number;
  /** When it last moved (monotonic): offered, accepted, a chunk, an ack. */
  since: number;
  /** When the receiver said yes (monotonic): the transfer's own time, which the log reports, starts there. */
  accepted: number;
  /** A cluster: which side is connected to another server, `peer` (that server's life), if either. */
  readonly remote: 'from' | 'to' | null;
  readonly peer: string | null;
  /** The sender's half, until the receiver's server took the offer (or refused it). */
  verdict: Verdict | null;
}

/** An offer's handler waiting for the receiver's server (see OFFER_VERDICT_MS). */
export interface Verdict {
  readonly since: number;
  resolve(): void;
  reject(e: ChatError): void;
}

export class TransferBook<E extends Endpoint> {
  private readonly byKey = new Map<string, Transfer<E>>();
  /** Each user's transfers (folded name), sending or receiving: at most MAX_PER_USER + MAX_OFFERS_WAITING. */
  private readonly byUser = new Map<string, Set<Transfer<E>>>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Transfer<E> | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Every transfer, a copy (ending one while going through them is safe). */
  all(): Transfer<E>[] {
    return [...this.byKey.values()];
  }

  /** `user`'s transfers, a copy. */
  of(user: string): Transfer<E>[] {
    return [...(this.byUser.get(user) ?? [])];
  }

  /** Whether `user` takes part in any transfer. */
  busy(user: string): boolean {
    return this.byUser.has(user);
  }

  add(t: Transfer<E>): void {
    this.byKey.set(t.key, t);
    this.index(t.from.key).add(t);
    this.index(t.to.key).add(t);
  }

  remove(t: Transfer<E>): void {
    this.byKey.delete(t.key);
    for (const s of [t.from, t.to]) {
      const set = this.byUser.get(s.key);
      set?.delete(t);
      if (set?.size === 0) this.byUser.delete(s.key);
    }
  }

  /** The transfers that take a place of `user`'s: those they send, and those they receive once accepted. */
  places(user: string): number {
    let n = 0;
    for (const t of this.byUser.get(user) ?? []) if (t.from.key === user || t.state !== 'offered') n++;
    return n;
  }

  /** Refuses an offer `to` has no place for, or no room to keep waiting: too many waiting, or enough from `me`. */
  roomFor(me: Session<E>, to: Session<E>): void {
    if (this.places(to.key) >= MAX_PER_USER) throw chatError('FILE_BUSY', to.name);
    const waiting = [...(this.byUser.get(to.key) ?? [])].filter((t) => t.to === to && t.state === 'offered');
    if (waiting.filter((t) => t.from === me).length >= MAX_OFFERS_FROM_ONE) throw chatError('FILE_OFFER_PENDING', to.name);
    if (waiting.length >= MAX_OFFERS_WAITING) throw chatError('FILE_OFFERS_FULL', to.name, MAX_OFFERS_WAITING);
  }

  private index(user: string): Set<Transfer<E>> {
    let set = this.byUser.get(user);
    if (!set) this.byUser.set(user, (set = new Set()));
    return set;
  }
}
