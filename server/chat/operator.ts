/**
 * What the server's operator can do to the chat from the console: remove a user (`kick`), mute
 * one (`mute`), and say something to everyone (`wall`). The rules are the room's: a kick ends the
 * session as the room ends any (with a goodbye whose reason tells the client not to come back),
 * and a mute is held by the same flood limits a flooder's is (by account; a guest by address),
 * so logging in again does not shed it.
 */
import type { Cancel } from '../../common/clock.js';
import type { Chat, Maybe } from './chat.js';
import { NOTICES } from './notices.js';
import type { Endpoint } from './outbox.js';
import type { Room } from './room.js';
import type { Session } from './session.js';

/** The longest operator's reason or notice: a notice's message holds at most 1,024 characters. */
export const MAX_OPERATOR_TEXT = 900;

export class Operator<E extends Endpoint = Endpoint> {
  /** The "you can talk again" of each operator's mute, by flood-limit key, to cancel on a new one. */
  private readonly unmutes = new Map<string, Cancel>();

  constructor(
    private readonly room: Room<E>,
    private readonly chat: Chat<E>,
  ) {}

  /** Removes `who`: told `why`, logged out, the others told; the client does not reconnect. */
  kick(who: Session<E>, why: string): Maybe<void> {
    return this.chat.end(who, 'kicked', why);
  }

  /**
   * Mutes `who` for `seconds` (0 lifts the operator's mute): told at once, and told again when it
   * is over, if they are still here.
   */
  mute(who: Session<E>, seconds: number): void {
    const { room } = this;
    const { key, limitKey } = who;
    const now = room.clock.monotonic();
    this.unmutes.get(limitKey)?.();
    this.unmutes.delete(limitKey);
    room.limits.hold(limitKey, now + seconds * 1000, now);
    if (seconds === 0) return room.notice(who, 'unmuted', NOTICES.unmuted());
    room.notice(who, 'muted', NOTICES.operator_muted(seconds));
    const cancel = room.clock.after(seconds * 1000, () => {
      this.unmutes.delete(limitKey);
      const there = room.byKey(key);
      if (there?.limitKey === limitKey) room.notice(there, 'unmuted', NOTICES.unmuted());
    });
    this.unmutes.set(limitKey, cancel);
  }

  /** A notice to everyone online; how many it reached. */
  wall(text: string): Maybe<number> {
    return this.chat.wall(text);
  }
}
