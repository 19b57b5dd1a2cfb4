/**
 * What the server's operator can do to the chat from the console: remove a user (`kick`), mute
 * one (`mute`), and say something to everyone (`wall`). The rules are the room's (Room.end,
 * Room.mute, Room.wall): a kick ends the session as the room ends any (with a goodbye whose
 * reason tells the client not to come back), and a mute is held by the same flood limits a
 * flooder's is. Each goes through the Chat, so on a cluster every server applies it.
 */
import type { Chat, Maybe } from './chat.js';
import type { Endpoint } from './outbox.js';
import type { Session } from './session.js';

/** The longest operator's reason or notice: a notice's message holds at most 1,024 characters. */
export const MAX_OPERATOR_TEXT = 900;

export class Operator<E extends Endpoint = Endpoint> {
  constructor(private readonly chat: Chat<E>) {}

  /** Removes `who`: told `why`, logged out, the others told; the client does not reconnect. */
  kick(who: Session<E>, why: string): Maybe<void> {
    return this.chat.end(who, 'kicked', why);
  }

  /** Mutes `who` for `seconds` (0 lifts the operator's mute); told now and when it is over. */
  mute(who: Session<E>, seconds: number): Maybe<void> {
    return this.chat.mute(who, seconds);
  }

  /** A notice to everyone online; how many it reached. */
  wall(text: string): Maybe<number> {
    return this.chat.wall(text);
  }
}
