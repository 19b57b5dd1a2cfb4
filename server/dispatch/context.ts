/**
 * What every handler receives. One signature for all: `(ctx, msg)`. Handlers that need a login
 * get a `UserCtx`, whose `me` the dispatcher has already checked.
 *
 * Handlers never hold a connection: they see the caller as a `Caller` (its login state and where
 * it is from), change the chat through the room, and answer through `replies` or the room's outbox.
 */
import type { Refused } from '../../common/errors.js';
import type { ClientMessage, ClientType, ServerMessage } from '../../common/protocol.js';
import type { Endpoint } from '../chat/outbox.js';
import type { Chat } from '../chat/chat.js';
import type { Room } from '../chat/room.js';
import type { Session } from '../chat/session.js';
import type { Transfers } from '../chat/transfers.js';
import type { ServerConfig } from '../config.js';
import type { Counters } from '../counters.js';
import type { Logger } from '../logger.js';
import type { AccountStore } from '../store/accounts.js';
import type { Hasher } from '../store/hasher.js';
import type { LoginGate } from '../store/login-gate.js';

/** The connection a message came on, as the dispatcher sees it. */
export interface Caller extends Endpoint {
  readonly port: number;
  readonly state: 'awaiting-login' | 'authenticating' | 'ready' | 'closed';
  readonly closed: boolean;
  /** The case-folded name of the user logged in on it, if any. */
  readonly user: string | null;
  /** A login starts: false when one is already being checked, or the caller is logged in. */
  beginLogin(): boolean;
  /** The login was refused: the caller may try again (unless its login time is up). */
  endLogin(): void;
  close(reason: string): void;
}

/** Answers to the caller itself, logged in or not. */
export interface Replies {
  reply(to: Caller, msg: ServerMessage): void;
}

export type DispatchConfig = Pick<ServerConfig, 'allowGuests' | 'minPassword' | 'bcryptCost'>;

export interface Services {
  config: DispatchConfig;
  /** The chat state, to read (who is online, a user's session). */
  room: Room<Caller>;
  /** Every change to the chat goes through here (one server: at once; a cluster: in order). */
  chat: Chat<Caller>;
  store: AccountStore;
  hasher: Hasher;
  /** Brute-force protection: failed logins by account and by address. */
  logins: LoginGate;
  counters: Counters;
  replies: Replies;
  log: Logger;
  /** File transfers under way (offers, chunks, acknowledgements). */
  files: Transfers<Caller>;
}

export interface Ctx extends Services {
  caller: Caller;
}

export interface UserCtx extends Ctx {
  me: Session<Caller>;
}

/**
 * What a logged-in command's run gives back: false when the flood limit refused it where it was
 * counted (a cluster counts where the change is applied, after the dispatcher's look); the sender
 * has been told why.
 */
type Ran = void | false | Promise<void | false>;

/**
 * A command table entry. `login`: usable only once logged in (checked once, in the dispatcher).
 * `limited`: counts toward the sender's flood limit, once, through Chat.withinLimit (its
 * refusal at once, MUTED, is answered as a thrown one is: named by `refuses`).
 * `counted`: a chat line, for `stats`. `reads`: the message this one stands for, when it is
 * really another (a bare Y is an answer). `whenRefused`: what a refused message still gets after
 * its refusal (by the flood limit, or with an error), for a client that waits for an answer of
 * its own (the notice that ends a /history page). `refuses`: what an error for it names (see
 * Refused and the `error` frame), so that the client matches the refusal to it exactly: the
 * recipient of a private message or request, a file offer or answer, the transfer a chunk, ack
 * or done is for.
 */
export type Command<K extends ClientType> =
  | { login: false; run(ctx: Ctx, msg: ClientMessage<K>): void | Promise<void> }
  | {
      login: true;
      limited?: boolean;
      counted?: boolean;
      reads?(ctx: UserCtx, msg: ClientMessage<K>): ClientMessage | null;
      run(ctx: UserCtx, msg: ClientMessage<K>): Ran;
      whenRefused?(ctx: UserCtx, msg: ClientMessage<K>): void;
      refuses?(msg: ClientMessage<K>): Refused;
    };

export type CommandTable = { [K in ClientType]: Command<K> };
