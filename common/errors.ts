/**
 * Every error the server can report, with a stable machine code and a human message, defined
 * once. The code is what tests and scripts match on; the message is what a user reads. Messages
 * that need details take them as arguments so the wording still lives here.
 */
import type { ClientType, ServerMessage } from './protocol.js';

export const ERRORS = {
  // Framing and validation: the peer sent something we could not read.
  FRAME_TOO_LARGE: (size: number, max: number) => `message too long: ${size} bytes, the limit is ${max}; it was not delivered`,
  BAD_FRAME: (why: string) => `malformed frame: ${why}`,
  BAD_UTF8: (where: string) => `${where} is not valid UTF-8`,
  UNKNOWN_TYPE: (type: string) => `unknown message type "${type}"`,
  BAD_FIELD: (field: string, why: string) => `field "${field}" ${why}`,
  BAD_TEXT: (why: string) => `message text ${why}`,
  // Login and accounts.
  NOT_LOGGED_IN: () => 'log in first',
  /** `pending`: this connection's login (or resume) is still being checked. */
  ALREADY_LOGGED_IN: (user: string, pending = false) =>
    pending ? 'a login is already under way on this connection; wait for its answer' : `${user} is already logged in`,
  BAD_NAME: (why: string) => `invalid username: ${why}`,
  /**
   * The name is valid but someone has it (IRC's 433, where BAD_NAME is 432): `account`, a guest
   * asked for an account's name; `online`, someone online uses it; `registered`, another
   * connection registered it a moment before (on this server or another of the cluster);
   * `numbered`, a guest's name is in use and no numbered form of it is a valid name.
   */
  NAME_IN_USE: (user: string, by: 'account' | 'online' | 'registered' | 'numbered') => NAME_IN_USE_WHY[by](user),
  BAD_PASSWORD: () => 'wrong password',
  PASSWORD_RULE: (why: string) => `password rejected: ${why}`,
  GUESTS_DISABLED: () => 'guest logins are disabled on this server; choose a password to register',
  LOGIN_THROTTLED: (seconds: number) => `too many failed logins; try again in ${seconds} s`,
  REGISTRATIONS_THROTTLED: (seconds: number) => `too many new accounts from your address; try again in ${seconds} s`,
  SERVER_BUSY: () => 'server busy, try again',
  RESUME_FAILED: () => 'that session is gone; log in again',
  STORE_FAILED: () => 'could not save the account; try again later',
  TOO_MANY_CONNECTIONS: (limit: 'server' | 'address', max: number) =>
    limit === 'server' ? `too many connections: the server is full (${max}); try again later` : `too many connections from your address (at most ${max}); close one first`,
  LOGIN_TIMEOUT: () => 'no login within the time allowed',
  NOT_A_LOGIN: (n: number) => `${n} messages before login that were not a login; the connection will be closed`,
  // Chat.
  /** `account`: a private message, which an account would have kept while offline. */
  NO_SUCH_USER: (user: string, account = false) => (account ? `there is no account named ${user}` : `${user} is not online`),
  /** With `share`: the sender has their share of `user`'s mailbox (`max` messages) waiting. */
  MAILBOX_FULL: (user: string, full: MailboxFull) =>
    'waiting' in full
      ? `${user} already has ${full.waiting} message${full.waiting === 1 ? '' : 's'} waiting; yours was not kept`
      : 'share' in full
        ? `you already have ${full.mine} message${full.mine === 1 ? '' : 's'} waiting for ${user}, the most one sender may leave (${full.share} of the ${full.max} an account may hold); yours was not kept`
        : `you already have ${full.sent} message${full.sent === 1 ? '' : 's'} waiting for accounts that are offline, the most one sender may leave in all; yours for ${user} was not kept (yours go out as their recipients log in)`,
  /** The server could not store a private message for an offline account (a full or broken disk, the cluster's store away). */
  MAILBOX_FAILED: (user: string) => `${user} is offline, and the server could not keep your message for them; it was not delivered: try again later`,
  /** A `received` that names no batch of offline messages in flight (`inFlight`: the id it should name). */
  RECEIPT_UNEXPECTED: (id: number, inFlight?: number) =>
    inFlight === undefined
      ? `received ${id}: no offline messages are waiting for a receipt; nothing was deleted`
      : `received ${id}: the offline messages waiting for a receipt end at ${inFlight}; nothing was deleted`,
  NOT_AWAY: () => 'you are not marked as away',
  MUTED: (seconds: number, byOperator = false) =>
    `${byOperator ? 'the operator muted you' : 'you are muted for sending too fast'}; try again in ${seconds} s`,
  // Private sessions.
  PM_SELF: () => 'you cannot start a private chat with yourself',
  PM_BUSY: (user: string) => `${user} is already in a private chat`,
  PM_YOU_BUSY: (partner: string) => `you are already in a private chat with ${partner}; type EXIT PM first`,
  PM_PENDING: (user: string) => `a private chat request between you and ${user} is already pending`,
  PM_TOO_MANY: (user: string) => `${user} has too many private chat requests waiting; try again later`,
  PM_OUTGOING: (user: string) => `you already asked ${user}; wait for the answer`,
  PM_NO_REQUEST: (user?: string) =>
    user ? `${user} has not asked you for a private chat` : 'nobody has asked you for a private chat',
  PM_NOT_IN: () => 'you are not in a private chat',
  // Several servers (a cluster on Redis).
  CLUSTER_DOWN: () => 'not delivered: the chat is paused while this server reconnects to the cluster; try again in a moment',
  // End-to-end encryption: the server relays keys and sealed lines; it only checks who may send them.
  E2E_UNSUPPORTED: (user: string) =>
    `${user}'s client cannot encrypt (an IRC client, or an older tinychat): no encrypted private chat. To chat anyway, NOT encrypted (the server can read it): /plain ${user}`,
  E2E_BAD_KEY: (why: string) => `bad key: ${why}`,
  E2E_NOT_IN: () => 'an encrypted line needs an encrypted private chat to go to',
  // Files.
  FILES_UNSUPPORTED: (user: string) => `${user}'s client cannot receive files (an IRC client, or an older tinychat)`,
  FILE_SELF: () => 'you cannot send a file to yourself',
  FILE_ELSEWHERE: (user: string) => `the server ${user} is connected to did not take the offer (the servers of the cluster could not reach each other, or ${user} moved); try again in a moment`,
  FILE_TOO_BIG: (size: number, max: number) => `the file is too big: ${size} bytes, this server relays at most ${max}`,
  FILE_BUSY: (who: string) => `${who} already ${who === 'you' ? 'have' : 'has'} 2 file transfers under way; try again when one is over`,
  FILE_WAITING: (n: number) => `${n} of your file offers and answers are still waiting for another server of the cluster; try again in a moment`,
  FILE_OFFER_PENDING: (user: string) => `your file offer to ${user} is still waiting for an answer; offer the next once it is answered`,
  FILE_OFFERS_FULL: (user: string, n: number) => `${user} already has ${n} file offers waiting for an answer; try again later`,
  FILE_ID_TAKEN: (id: string) => `you already have a transfer with id ${id}`,
  FILE_BAD_OFFER: (why: string) => `bad file offer: ${why}`,
  FILE_NO_SUCH: (id: string) => `no file transfer ${id} (it may be over)`,
  FILE_NOT_STARTED: (id: string) => `file transfer ${id} has not been accepted yet`,
  // Anything else: a bug on our side, reported without details.
  INTERNAL: () => 'internal server error; the connection will be closed',
} as const;

const NAME_IN_USE_WHY = {
  account: (user: string) => `${user} is a registered account; give its password, or pick another name`,
  online: (user: string) => `${user} is in use by someone online; pick another name`,
  registered: (user: string) => `${user} was just registered from another connection; log in with its password or pick another name`,
  numbered: (user: string) => `${user} is in use, and cut to make room for a number it would break the name rules; pick another name`,
};

export type ErrorCode = keyof typeof ERRORS;

/**
 * Which cap a message for an offline account met: the account's (`waiting` for it), the sender's
 * share of it (`mine` of `share`, of the `max` an account holds), or the sender's in all (`sent`).
 */
export type MailboxFull = { waiting: number } | { mine: number; share: number; max: number } | { sent: number };

/** An error that travels to the peer as an `error` frame. */
export class ChatError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** A framing error leaves the byte stream unusable: the connection must be closed. */
    readonly fatal = false,
  ) {
    super(message);
    this.name = 'ChatError';
  }

  /** Seconds after which trying again makes sense (sent as `retry`). */
  retry?: number;

  retryIn(seconds: number): this {
    this.retry = seconds;
    return this;
  }
}

/** Builds a ChatError from the table, so code and wording always agree. */
export function chatError<C extends ErrorCode>(code: C, ...args: Parameters<(typeof ERRORS)[C]>): ChatError {
  return new ChatError(code, wording(code, args));
}

/** A framing error: the connection must close. */
export function fatalError<C extends ErrorCode>(code: C, ...args: Parameters<(typeof ERRORS)[C]>): ChatError {
  return new ChatError(code, wording(code, args), true);
}

function wording(code: ErrorCode, args: unknown[]): string {
  return (ERRORS[code] as (...a: unknown[]) => string)(...args);
}

/**
 * What a refused request was, as it named it, sent in its error frame: a client that sent
 * several requests cannot tell by the order of the answers which one is refused (a refusal
 * decided later, after an account look-up, a mailbox write or a round through the cluster, can
 * come after a later line was answered). `re`: its type, on every refusal of a message the
 * server read; `user`: the recipient of a private message or private-chat request (every
 * refusal of one names them, a MUTED too); `id`: a file offer, or the transfer a chunk is for;
 * `from` and `id`: an answer to a file offer, or the transfer an ack or done is for.
 */
export interface Refused {
  re?: ClientType;
  user?: string;
  id?: string;
  from?: string;
}

/** The `error` frame that tells the peer about `error`, naming what it refuses if anything. */
export function errorMessage({ code, message, retry }: ChatError, refused?: Refused): ServerMessage<'error'> {
  return { type: 'error', code, message, ...(retry ? { retry } : {}), ...refused };
}
