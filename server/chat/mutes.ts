/**
 * Who may talk now: each message counted against the flood limits, the mutes a flood or the
 * operator sets, and the user told when each begins and when it is over.
 */
import type { Clock } from '../../common/clock.js';
import { chatError, type ChatError, type Refused } from '../../common/errors.js';
import type { NoticeEvent } from '../../common/protocol.js';
import type { Logger } from '../logger.js';
import { NOTICES } from './notices.js';
import type { Endpoint } from './outbox.js';
import type { Limits } from './ratelimit.js';
import type { Session } from './session.js';
import { Unmutes } from './unmutes.js';

/** What mutes need of the room: who holds a name now, and a way to tell them. */
export interface Told<E extends Endpoint> {
  byKey(key: string): Session<E> | undefined;
  notice(to: Session<E>, event: NoticeEvent, text: string): void;
  tell(to: Session<E>, error: ChatError, refused?: Refused): void;
}

/** The refusal of a message from a muted user, `seconds` before they may talk again. */
export function mutedError(seconds: number, byOperator: boolean): ChatError {
  return chatError('MUTED', seconds, byOperator).retryIn(seconds);
}

export class Mutes<E extends Endpoint> {
  /** The "you can talk again" after each mute. */
  private readonly unmutes: Unmutes;

  constructor(
    /** Flood limits, by account (guests: by address), outliving sessions. */
    private readonly limits: Limits,
    private readonly room: Told<E>,
    /** How long a flood mutes (--mute-seconds). */
    private readonly muteSeconds: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.unmutes = new Unmutes(limits, clock, ({ key, limitKey }) => {
      const there = room.byKey(key);
      if (there?.limitKey === limitKey) room.notice(there, 'unmuted', NOTICES.unmuted());
    });
  }

  /**
   * Counts one message against `me`'s flood limit. Null when `me` may send it; else its refusal
   * (MUTED, with how long the mute lasts), for the caller to give: the dispatcher names what it
   * refuses (a recipient, a file offer), as every refusal. The message that starts the mute also gets the
   * notice that mutes them, here.
   */
  refusal(me: Session<E>): ChatError | null {
    const verdict = this.limits.hit(me.limitKey, this.clock.monotonic());
    if (verdict.ok) return null;
    if (verdict.justMuted) {
      this.log.warn(`Rate limit: ${me.name} muted for ${this.muteSeconds} s`);
      this.room.notice(me, 'muted', NOTICES.muted(verdict.secondsLeft));
      this.unmutes.in(me, this.muteSeconds * 1000);
    }
    // The message that started the mute is refused like every one after it: a client matches
    // each refusal to a message it sent, in order, and one without its error would shift the rest.
    return mutedError(verdict.secondsLeft, verdict.byOperator === true);
  }

  /**
   * As refusal(), the refusal told to `me` at once: for a message no dispatcher answers (one a
   * cluster counts where it is applied), naming it as the dispatcher would (`what`). False when
   * `me` may not send it now.
   */
  allow(me: Session<E>, what: Refused): boolean {
    const refused = this.refusal(me);
    if (refused) this.room.tell(me, refused, what);
    return refused === null;
  }

  /**
   * Mutes `who` for `seconds` (0 lifts the operator's mute): told at once, and told again when it
   * is over, if they are still here. Held by the same flood limits a flooder's mute is (by
   * account; a guest by address), so logging in again does not shed it.
   */
  mute(who: Session<E>, seconds: number): void {
    const now = this.clock.monotonic();
    this.limits.hold(who.limitKey, now + seconds * 1000, now);
    if (seconds > 0) {
      this.room.notice(who, 'muted', NOTICES.operator_muted(seconds));
      return this.unmutes.in(who, seconds * 1000);
    }
    // Lifted: free now, unless a flood mute of their own still runs (then told when it ends).
    const left = this.limits.mutedFor(who.limitKey, now);
    if (left > 0) return this.unmutes.in(who, left * 1000);
    this.unmutes.cancel(who.limitKey);
    this.room.notice(who, 'unmuted', NOTICES.unmuted());
  }
}
