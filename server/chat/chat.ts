/**
 * Everything that changes the chat, as the dispatcher and the console ask for it. Reading (who is
 * online, a user's session) goes to the room directly; changing goes through a Chat:
 *
 * - LocalChat (one server): each change is applied to the room at once, as it is asked for.
 * - ClusterChat (server/cluster/, several servers on Redis): each change is first put in the one
 *   ordered log every server reads, then applied to every server's room in that order, so all of
 *   them agree (one order of group lines, one winner of a race for a name).
 *
 * A LocalChat answers at once (void, or throws a ChatError), so a connection's messages are handled
 * in the order they came, each before the next; a ClusterChat answers with promises (rejected with
 * the ChatError) and keeps each user's changes in the order they were asked for.
 */
import { chatError } from '../../common/errors.js';
import type { Feature } from '../../common/protocol.js';
import type { EndReason } from './farewell.js';
import type { Room } from './room.js';
import type { Endpoint } from './outbox.js';
import { freshCredentials, freshToken, type Session } from './session.js';

/** A value now (one server), or later (a cluster). */
export type Maybe<T> = T | Promise<T>;

/** How a session is taken back: with the resume token it was given, or with the password. */
export type TakenBack = { token: string } | { password: true; features: readonly Feature[] };

/**
 * The chat as the dispatcher sees it: one server's room (LocalChat), or the room shared through
 * Redis (cluster/). The messages that count toward the flood limit (say, dm, leave, pmRequest,
 * pmRekey, historyPage) answer false when the limit refused them where they were counted (on a
 * cluster, where the change is applied), so the dispatcher reports them as refused.
 */
export interface Chat<E extends Endpoint = Endpoint> {
  /**
   * A user logged in at `at` (see Room.login); `features`: what its client said it can do
   * (end-to-end encryption, files), kept with the session.
   */
  login(name: string, guest: boolean, created: boolean, at: E, since?: number, features?: readonly Feature[]): Maybe<void>;
  /**
   * A session taken back at `at` (see Room.resume): by its resume token, which is then spent, or
   * by a new client with the password, which gets new credentials and says what it can do.
   */
  resume(session: Session<E>, at: E, by: TakenBack): Maybe<void>;
  /** `user`'s connection at `at` went away without a logout. */
  lost(user: string, at: E, reason: string): void;
  end(session: Session<E>, reason: EndReason, why?: string): Maybe<void>;
  /** `sealed`: a line of an encrypted private session (see Room.say). */
  say(me: Session<E>, text: string, group?: boolean, action?: boolean, sealed?: boolean): Maybe<void | false>;
  /** A one-shot private message to someone online. */
  dm(me: Session<E>, to: string, text: string, action?: boolean): Maybe<void | false>;
  /** A private message kept for an account that is offline. */
  leave(me: Session<E>, toName: string, text: string, action?: boolean): Maybe<void | false>;
  setAway(me: Session<E>, message: string): Maybe<void>;
  back(me: Session<E>): Maybe<void>;
  /**
   * Asks `to` (a name as typed) for a private session. The name is looked up where the change is
   * applied: on a cluster, a user who has just logged in on another server may not be known
   * here yet, but is by the time the request takes its place in the shared log. `key`: the signed
   * key offer of an encrypted private session, relayed with the invitation.
   */
  pmRequest(me: Session<E>, to: string, key?: string): Maybe<void | false>;
  /**
   * `from` is a folded name (or undefined: the oldest request); `asTyped` for the refusal's words;
   * `key` the answer's signed key, relayed to the asker.
   */
  pmAnswer(me: Session<E>, from: string | undefined, accept: boolean, asTyped?: string, key?: string): Maybe<void>;
  /** New keys for `me`'s encrypted private session, relayed to the partner (PrivateChats.rekey). */
  pmRekey(me: Session<E>, key: string): Maybe<void | false>;
  pmExit(me: Session<E>): Maybe<void>;
  /** The operator mutes `who` for `seconds` (0 lifts it; see Room.mute). */
  mute(who: Session<E>, seconds: number): Maybe<void>;
  /** A notice from the operator to everyone; how many it reached. */
  wall(text: string): Maybe<number>;
  /**
   * Older group lines, `count` before the line `before`, to `me` (see Room.history). False when
   * the flood limit refused it where it was counted: on a cluster, where the request is applied
   * (`me` has been told why).
   */
  historyPage(me: Session<E>, before: number | undefined, count: number): Maybe<void | false>;
  /**
   * Runs `change`, a message of `me`'s that counts toward their flood limit, counted once: on one
   * server here and now; on a cluster, where the changes it asks for are applied (every server
   * counts them, in the log's order). When `me` may not send now, `change` is not run: refused
   * at once (muted), it throws the refusal (a ChatError, which the dispatcher answers, naming the
   * file offer it refuses); refused where it is counted (a cluster), false: they have been told.
   */
  withinLimit<T>(me: Session<E>, change: () => T): T | false;
  /** Every SWEEP_MS: what time decides (silent users, unanswered requests), see Room.sweep. */
  sweep(): void;
}

/** One server: every change applied to its room as it is asked for. */
export class LocalChat<E extends Endpoint = Endpoint> implements Chat<E> {
  constructor(private readonly room: Room<E>) {}

  login(name: string, guest: boolean, created: boolean, at: E, since?: number, features?: readonly Feature[]): void {
    this.room.login(name, guest, created, at, since, undefined, features);
  }

  resume(session: Session<E>, at: E, by: TakenBack): void {
    // The token was checked against this very room, on this turn: nothing can have spent it since.
    if ('token' in by) this.room.resume(session, at, { token: freshToken(), shown: by.token });
    else this.room.resume(session, at, freshCredentials(), by.features);
  }

  lost(user: string, at: E, reason: string): void {
    this.room.lost(user, at, reason);
  }

  end(session: Session<E>, reason: EndReason, why = ''): void {
    this.room.end(session, reason, why);
  }

  say(me: Session<E>, text: string, group = false, action = false, sealed = false): void {
    this.room.say(me, text, group, action, sealed);
  }

  dm(me: Session<E>, to: string, text: string, action = false): void {
    this.room.dm(me, to, text, action);
  }

  leave(me: Session<E>, toName: string, text: string, action = false): Promise<void> {
    return this.room.leave(me, toName, text, action);
  }

  setAway(me: Session<E>, message: string): void {
    this.room.setAway(me, message);
  }

  back(me: Session<E>): void {
    this.room.back(me);
  }

  pmRequest(me: Session<E>, to: string, key?: string): void {
    const target = this.room.find(to);
    // An account, or a guest who left: a name that is no account was refused before (dispatch/recipient.ts).
    if (!target) throw chatError('NO_SUCH_USER', to);
    this.room.privates.request(me, target, key);
  }

  pmAnswer(me: Session<E>, from: string | undefined, accept: boolean, asTyped = from, key?: string): void {
    this.room.privates.answer(me, from, accept, asTyped, key);
  }

  pmRekey(me: Session<E>, key: string): void {
    this.room.privates.rekey(me, key);
  }

  pmExit(me: Session<E>): void {
    this.room.privates.exit(me);
  }

  mute(who: Session<E>, seconds: number): void {
    this.room.mute(who, seconds);
  }

  wall(text: string): number {
    return this.room.wall(text);
  }

  historyPage(me: Session<E>, before: number | undefined, count: number): void {
    this.room.history(me, before, count);
  }

  withinLimit<T>(me: Session<E>, change: () => T): T | false {
    const refused = this.room.refusal(me);
    if (refused) throw refused;
    return change();
  }

  sweep(): void {
    this.room.sweep();
  }
}
