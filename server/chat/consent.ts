/**
 * Consent for private sessions (seed 002), as a pure structure: pending requests and active
 * pairs, keyed by case-folded user name. No sockets, no clock of its own: callers pass `now`.
 *
 * Rules:
 * - one outgoing request per user at a time; up to `maxPending` incoming ones, answered by name
 *   or oldest first;
 * - nobody in a session can ask or be asked;
 * - when two users enter a session, every other request to or from either of them is cancelled
 *   (the caller tells those requesters why);
 * - `remove(user)` undoes everything a user was part of, for logout and going offline.
 *
 * Every operation costs O(1) per request it touches: requests are indexed by sender and by
 * recipient (an insertion-ordered map each, so "oldest" is the first entry), and all of them by
 * age, so expiry stops at the first request still young. Thousands of requests to one user cost
 * thousands of steps to cancel, not millions.
 */
import type { ErrorCode } from '../../common/errors.js';

export interface Request {
  from: string;
  to: string;
  at: number;
}

export type Refusal = { error: ErrorCode; user: string };

export interface ConsentState {
  pairs: [string, string][];
  requests: Request[];
}

export class Consent {
  /** Active pairs, both directions. */
  private readonly partners = new Map<string, string>();
  /** Outgoing request by requester (at most one each). */
  private readonly outgoing = new Map<string, Request>();
  /** Incoming requests by recipient, then by requester, oldest first. */
  private readonly incoming = new Map<string, Map<string, Request>>();
  /** Every pending request, oldest first (callers pass a `now` that never goes back). */
  private readonly byAge = new Set<Request>();

  constructor(private readonly maxPending = Infinity) {}

  partner(user: string): string | undefined {
    return this.partners.get(user);
  }

  /** Requests waiting for `user`'s answer, oldest first. */
  pendingFor(user: string): readonly Request[] {
    return [...(this.incoming.get(user)?.values() ?? [])];
  }

  /** How many requests wait for `user`'s answer. */
  pendingCount(user: string): number {
    return this.incoming.get(user)?.size ?? 0;
  }

  outgoingOf(user: string): Request | undefined {
    return this.outgoing.get(user);
  }

  /** How many requests are pending in all. */
  get size(): number {
    return this.byAge.size;
  }

  /** `from` asks `to`. Returns the refusal, or null when the request is now pending. */
  request(from: string, to: string, now: number): Refusal | null {
    if (from === to) return { error: 'PM_SELF', user: to };
    const mine = this.partners.get(from);
    if (mine !== undefined) return { error: 'PM_YOU_BUSY', user: mine };
    if (this.partners.has(to)) return { error: 'PM_BUSY', user: to };
    if (this.outgoing.get(to)?.to === from) return { error: 'PM_PENDING', user: to };
    const out = this.outgoing.get(from);
    if (out !== undefined) return { error: 'PM_OUTGOING', user: out.to };
    if (this.pendingCount(to) >= this.maxPending) return { error: 'PM_TOO_MANY', user: to };
    this.add({ from, to, at: now });
    return null;
  }

  /** Files a request under its sender, its recipient and its age. */
  private add(req: Request): void {
    this.outgoing.set(req.from, req);
    let list = this.incoming.get(req.to);
    if (!list) this.incoming.set(req.to, (list = new Map()));
    list.set(req.from, req);
    this.byAge.add(req);
  }

  /** `a` and `b` are now in a private chat together. */
  private pair(a: string, b: string): void {
    this.partners.set(a, b);
    this.partners.set(b, a);
  }

  /**
   * `to` answers the request from `from` (or the oldest one). On accept the pair is started and
   * the requests this cancels are returned, so the caller can tell their senders.
   */
  answer(
    to: string,
    from: string | undefined,
    accept: boolean,
  ): { request: Request; cancelled: Request[] } | Refusal {
    const list = this.incoming.get(to);
    const request = from === undefined ? list?.values().next().value : list?.get(from);
    if (!request) return { error: 'PM_NO_REQUEST', user: from ?? '' };
    this.drop(request);
    if (!accept) return { request, cancelled: [] };
    const cancelled = [...this.requestsOf(request.from), ...this.requestsOf(request.to)];
    cancelled.forEach((r) => this.drop(r));
    this.pair(request.from, request.to);
    return { request, cancelled };
  }

  /** Ends `user`'s session; returns the former partner. */
  end(user: string): string | undefined {
    const partner = this.partners.get(user);
    if (partner === undefined) return undefined;
    this.partners.delete(user);
    this.partners.delete(partner);
    return partner;
  }

  /** Forgets `user` entirely: the session ended and every request to or from them dropped. */
  remove(user: string): { partner: string | undefined; dropped: Request[] } {
    const dropped = this.requestsOf(user);
    dropped.forEach((r) => this.drop(r));
    return { partner: this.end(user), dropped };
  }

  /** Removes and returns requests made at or before `cutoff`, oldest first. */
  expire(cutoff: number): Request[] {
    const old = this.due(cutoff);
    old.forEach((r) => this.drop(r));
    return old;
  }

  /** The requests made at or before `cutoff`, oldest first (left in place). */
  due(cutoff: number): Request[] {
    const old: Request[] = [];
    for (const r of this.byAge) {
      if (r.at > cutoff) break;
      old.push(r);
    }
    return old;
  }

  /**
   * Removes the pending request from `from` to `to` made at `at`, if it is still pending (not
   * answered, cancelled or replaced by a newer one meanwhile); returns it.
   */
  withdraw(from: string, to: string, at: number): Request | undefined {
    const r = this.outgoing.get(from);
    if (!r || r.to !== to || r.at !== at) return undefined;
    this.drop(r);
    return r;
  }

  /** Everything, as plain data (a cluster's checkpoint): the pairs, and the requests oldest first. */
  snapshot(): ConsentState {
    const pairs: [string, string][] = [];
    for (const [a, b] of this.partners) if (a < b) pairs.push([a, b]);
    return { pairs, requests: [...this.byAge].map((r) => ({ ...r })) };
  }

  /** Replaces everything with `state` (see snapshot). */
  restore(state: ConsentState): void {
    this.partners.clear();
    this.outgoing.clear();
    this.incoming.clear();
    this.byAge.clear();
    for (const [a, b] of state.pairs) this.pair(a, b);
    // In the snapshot's order, oldest first: byAge keeps the order requests were added in.
    for (const { from, to, at } of state.requests) this.add({ from, to, at });
  }

  private requestsOf(user: string): Request[] {
    const out = this.outgoing.get(user);
    const incoming = this.incoming.get(user);
    return [...(out ? [out] : []), ...(incoming ? incoming.values() : [])];
  }

  private drop(r: Request): void {
    if (this.outgoing.get(r.from) === r) this.outgoing.delete(r.from);
    this.byAge.delete(r);
    const list = this.incoming.get(r.to);
    if (list?.get(r.from) !== r) return;
    list.delete(r.from);
    if (list.size === 0) this.incoming.delete(r.to);
  }
}
