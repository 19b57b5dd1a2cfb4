/**
 * Away (`/away message` until `/back`): whoever writes privately to a user who is away gets the
 * away message, once each per absence. The state is the session's (Session.away, awayTold), so
 * it travels in the room's snapshot.
 */
import { chatError } from '../../common/errors.js';
import type { NoticeEvent } from '../../common/protocol.js';
import { NOTICES } from './notices.js';
import type { Endpoint } from './outbox.js';
import type { Session } from './session.js';

/** What away needs of the room: a notice to one user. */
export interface Notices<E extends Endpoint> {
  notice(to: Session<E>, event: NoticeEvent, text: string, user?: string): void;
}

export class Away<E extends Endpoint> {
  constructor(private readonly room: Notices<E>) {}

  /** `/away message`: those who write to `me` are told, once each, until `/back`. */
  set(me: Session<E>, message: string): void {
    me.away = message;
    me.awayTold.clear();
    this.room.notice(me, 'away', NOTICES.youAway(message));
  }

  /** `/back`. */
  back(me: Session<E>): void {
    if (me.away === null) throw chatError('NOT_AWAY');
    me.away = null;
    me.awayTold.clear();
    this.room.notice(me, 'back', NOTICES.back());
  }

  /** A private message from `me` to `to`: if `to` is away, `me` gets the away message, once. */
  tell(me: Session<E>, to: Session<E>): void {
    if (to.away === null || to === me || to.awayTold.has(me.key)) return;
    to.awayTold.add(me.key);
    this.room.notice(me, 'away', NOTICES.away(to.name, to.away), to.name);
  }
}
