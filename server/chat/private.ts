/**
 * Private sessions with consent (seed 002), as people experience them: asking, answering,
 * leaving, expiry, and who is told what when a request or a session ends. The bookkeeping is the
 * pure Consent structure; this adds the notices and the log lines.
 */
import type { Clock } from '../../common/clock.js';
import { chatError } from '../../common/errors.js';
import type { NoticeEvent } from '../../common/protocol.js';
import type { Logger } from '../logger.js';
import type { Away } from './away.js';
import { Consent, type Request } from './consent.js';
import { NOTICES } from './notices.js';
import type { Endpoint } from './outbox.js';
import type { Session } from './session.js';

/** What private sessions need of the room: who is online, and telling them things. */
export interface People<E extends Endpoint> {
  byKey(key: string): Session<E> | undefined;
  /** The display name for a folded key (the key itself for users already gone). */
  display(key: string): string;
  /** `key`: `user`'s signed key bundle, relayed (encrypted private sessions). */
  notice(to: Session<E>, event: NoticeEvent, text: string, user?: string, key?: string): void;
  /** One notice to many users (folded names), encoded once. */
  noticeAll(to: readonly string[], event: NoticeEvent, text: string, user?: string): void;
}

/**
 * What became of private-chat requests: sent, refused by the rules before they were sent (busy,
 * too many waiting, ...), accepted, refused by the one asked, expired, cancelled (someone left or
 * started another private chat). Read by the metrics.
 */
export type PmOutcome = 'requested' | 'denied' | 'accepted' | 'refused' | 'expired' | 'cancelled';

export class PrivateChats<E extends Endpoint = Endpoint> {
  readonly consent: Consent;
  readonly outcomes: Record<PmOutcome, number> = { requested: 0, denied: 0, accepted: 0, refused: 0, expired: 0, cancelled: 0 };

  constructor(
    private readonly people: People<E>,
    private readonly away: Away<E>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly timeoutSeconds: number,
    maxPending: number,
  ) {
    this.consent = new Consent(maxPending);
  }

  partnerOf(s: Session<E>): Session<E> | undefined {
    const key = this.consent.partner(s.key);
    return key === undefined ? undefined : this.people.byKey(key);
  }

  /** Whether a request waits for `me`'s answer. */
  hasPending(me: Session<E>): boolean {
    return this.consent.pendingCount(me.key) > 0;
  }

  /**
   * `@PM bob`: asks bob "alice wants a private chat with you (Y/N)?". Throws the refusal. `key`:
   * alice's signed key offer, relayed with the invitation (an end-to-end encrypted session).
   */
  request(me: Session<E>, target: Session<E>, key?: string): void {
    // Never a silent downgrade: an encrypted request to a client that cannot take one is refused.
    if (key !== undefined && !target.features.has('e2e')) throw chatError('E2E_UNSUPPORTED', target.name);
    const refusal = this.consent.request(me.key, target.key, this.clock.monotonic());
    if (refusal) {
      this.outcomes.denied++;
      throw chatError(refusal.error, this.people.display(refusal.user));
    }
    this.outcomes.requested++;
    this.log.info(`User ${me.name} requested a private chat with ${target.name}${key ? ' (end-to-end encrypted)' : ''}`);
    this.people.notice(me, 'pm_sent', NOTICES.pm_sent(target.name), target.name);
    // As a /msg would: an asker left waiting out the timeout for someone who said they are away
    // should know why the answer may not come.
    this.away.tell(me, target);
    this.people.notice(target, 'pm_invite', NOTICES.pm_invite(me.name), me.name, key);
  }

  /**
   * Y/N, `/accept NAME`, `/reject NAME`: `from` is a folded name, or undefined for the oldest.
   * `key`: the answer's signed key, relayed to the asker with the start.
   */
  answer(me: Session<E>, from: string | undefined, accept: boolean, asTyped = from, key?: string): void {
    const result = this.consent.answer(me.key, from, accept);
    if ('error' in result) throw chatError('PM_NO_REQUEST', asTyped);
    const { people } = this;
    const asker = people.byKey(result.request.from);
    const askerName = people.display(result.request.from);
    this.outcomes[accept ? 'accepted' : 'refused']++;
    if (!accept) {
      this.log.info(`${me.name} refused the private chat request from ${askerName}`);
      people.notice(me, 'pm_refused', NOTICES.pm_you_refused(askerName), askerName);
      if (asker) people.notice(asker, 'pm_refused', NOTICES.pm_refused(me.name), me.name);
      return;
    }
    this.log.info(`Private chat started between ${askerName} and ${me.name}`);
    if (asker) people.notice(asker, 'pm_started', NOTICES.pm_started(me.name), me.name, key);
    people.notice(me, 'pm_started', NOTICES.pm_started(askerName), askerName);
    this.tellCancelled(result.cancelled, new Set([me.key, result.request.from]));
  }

  /**
   * New keys from `me` for their encrypted private session (after a resume or a restart of their
   * client), or the reply to the partner's: relayed to the partner, who must be able to read them.
   */
  rekey(me: Session<E>, key: string): void {
    const partner = this.partnerOf(me);
    if (!partner?.features.has('e2e')) throw chatError('E2E_NOT_IN');
    this.people.notice(partner, 'pm_rekey', NOTICES.pm_rekey(me.name), me.name, key);
  }

  /** `EXIT PM`: ends `me`'s private session; both are told. */
  exit(me: Session<E>): void {
    const partnerKey = this.consent.end(me.key);
    if (partnerKey === undefined) throw chatError('PM_NOT_IN');
    const name = this.people.display(partnerKey);
    this.log.info(`Private chat between ${me.name} and ${name} closed by ${me.name}`);
    this.people.notice(me, 'pm_ended', NOTICES.pm_left(name), name);
    const partner = this.people.byKey(partnerKey);
    if (partner) this.people.notice(partner, 'pm_ended', NOTICES.pm_ended(me.name), me.name);
  }

  /**
   * `s` is gone for good: their session and requests end. Unless `quiet` (a shutdown, where
   * everyone hears the goodbye anyway), the partner and the other side of each request are told.
   */
  left(s: Session<E>, why: string, quiet: boolean): void {
    const { partner, dropped } = this.consent.remove(s.key);
    if (quiet) return;
    if (partner !== undefined) {
      this.log.info(`Private chat between ${s.name} and ${this.people.display(partner)} ended (${why})`);
      const p = this.people.byKey(partner);
      if (p) this.people.notice(p, 'pm_ended', NOTICES.pm_ended(s.name), s.name);
    }
    this.tellCancelled(dropped, new Set([s.key]));
  }

  /** The requests unanswered for the timeout, oldest first (still pending). */
  due(): Request[] {
    return this.consent.due(this.clock.monotonic() - this.timeoutSeconds * 1000);
  }

  /** `r` expires, if it is still pending: both sides are told. */
  expireOne(r: Request): void {
    if (!this.consent.withdraw(r.from, r.to, r.at)) return;
    const { people } = this;
    this.outcomes.expired++;
    const from = people.byKey(r.from);
    const to = people.byKey(r.to);
    const [fromName, toName] = [people.display(r.from), people.display(r.to)];
    this.log.info(`Private chat request from ${fromName} to ${toName} expired`);
    if (from) people.notice(from, 'pm_expired', NOTICES.pm_expired_sender(toName, this.timeoutSeconds), toName);
    if (to) people.notice(to, 'pm_expired', NOTICES.pm_expired_recipient(fromName), fromName);
  }

  /**
   * Tells the other side of each dropped request that it is void because someone in `gone` is
   * no longer available (offline, or now in a private chat with someone else).
   */
  private tellCancelled(dropped: Request[], gone: ReadonlySet<string>): void {
    // Grouped by who is gone: thousands of requests to one user cost one notice, encoded once.
    this.outcomes.cancelled += dropped.length;
    const told = new Map<string, string[]>();
    for (const r of dropped) {
      const unavailable = gone.has(r.from) ? r.from : r.to;
      const other = unavailable === r.from ? r.to : r.from;
      let list = told.get(unavailable);
      if (!list) told.set(unavailable, (list = []));
      list.push(other);
    }
    for (const [unavailable, others] of told) {
      const name = this.people.display(unavailable);
      this.people.noticeAll(others, 'pm_cancelled', NOTICES.pm_cancelled(name), name);
    }
  }
}
