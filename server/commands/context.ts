/**
 * What every handler receives. One signature for all: `(ctx, msg)`. Handlers that need a login
 * get a `UserCtx`, whose `me` the dispatcher has already checked.
 */
import type { ClientMessage, ClientType } from '../../common/protocol.js';
import type { Connection } from '../connection.js';
import type { Hasher } from '../hasher.js';
import type { Hub } from '../hub.js';
import type { LoginGate } from '../login-gate.js';
import type { Session } from '../session.js';
import type { UserStore } from '../userstore.js';

export interface Services {
  hub: Hub;
  store: UserStore;
  hasher: Hasher;
  /** Brute-force protection: failed logins by account and by address. */
  logins: LoginGate;
}

export interface Ctx extends Services {
  conn: Connection;
}

export interface UserCtx extends Ctx {
  me: Session;
}

/**
 * A command table entry. `login`: usable only once logged in (checked once, in the dispatcher).
 * `limited`: counts toward the sender's flood limit.
 */
export type Command<K extends ClientType> =
  | { login: false; run(ctx: Ctx, msg: ClientMessage<K>): void | Promise<void> }
  | { login: true; limited?: boolean; run(ctx: UserCtx, msg: ClientMessage<K>): void | Promise<void> };

export type CommandTable = { [K in ClientType]: Command<K> };
