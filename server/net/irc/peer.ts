/**
 * What the IRC side keeps about one connection: the registration under way (PASS, NICK, USER,
 * capability negotiation, SASL) and, once logged in, what the IRC wire needs to render the
 * chat's messages for this user (their nick, whether their channel window is open, the
 * capabilities they asked for, what each coming `who` answers). Plain data: the translator
 * (translate.ts) and the wire (wire.ts) read and change it; the connection owns it.
 *
 * Nothing here is a chat rule: who is online, who may talk to whom, accounts and limits all stay
 * with the room and the dispatcher.
 */
import { foldName } from '../../../common/names.js';
import type { ServerMessage } from '../../../common/protocol.js';

/** What a `who` reply answers, in the order the questions were asked (IRC has several questions for one answer). */
export type Ask =
  | { kind: 'names' }
  | { kind: 'who'; mask: string }
  | { kind: 'whois'; nick: string }
  | { kind: 'ison'; nicks: string[] }
  | { kind: 'userhost'; nicks: string[] }
  | { kind: 'list' };

/** Questions that may wait for their `who` at once; more get "try again" (263). */
export const MAX_ASKED = 8;

/** Capabilities (IRCv3 CAP) this server offers. */
export const CAPS = ['sasl', 'echo-message', 'server-time'] as const;
export type Cap = (typeof CAPS)[number];

/** The SASL PLAIN exchange: nothing, waiting for the credentials, or their pieces so far. */
export type Sasl = { stage: 'none' } | { stage: 'plain'; received: string };

export class IrcPeer {
  // ---- registration (before login) ----
  /** From PASS: the password for a login without SASL. */
  pass: string | null = null;
  /**
   * The nick the password was given for, once a refusal (in use) made it forgotten: what the
   * next refusal of a nick without one (a guest) says, as irssi shows no 433 while registering.
   */
  passFor: string | null = null;
  /** From NICK, before login: the name to log in as. */
  wanted: string | null = null;
  /** USER was given (its contents are not used: the nick is the account). */
  userGiven = false;
  /** CAP LS or REQ began a negotiation: registration waits for CAP END. */
  negotiating = false;
  sasl: Sasl = { stage: 'none' };
  /** How the login being checked was asked for: its refusal is answered accordingly. */
  via: 'pass' | 'sasl' | null = null;
  /** The SASL account name as given, for 900 once the login is in. */
  account = '';

  // ---- the user, once logged in ----
  /** The nick replies are addressed to: `*` before registration, the requested one, then the session's name. */
  nick = '*';
  /** The case-folded name, once logged in (the outbox's address for this user). */
  key: string | null = null;
  /** Logged in (the chat knows the user). */
  loggedIn = false;
  /** The channel window is open: group lines, joins and leaves are shown (PART closes it, JOIN opens it). */
  joined = true;
  readonly caps = new Set<Cap>();
  /** What each coming `who` reply answers, oldest first. */
  readonly asked: Ask[] = [];
  /** After the welcome: the names must be asked for (the room was too large to list them at login). */
  namesWanted = false;
  /**
   * The id of the oldest group line this connection has shown, live or from the history:
   * `/msg tinychat history` pages back from it, as the native client's /history does from the
   * oldest line on its screen. A new connection (a reconnect) starts again.
   */
  oldest: number | null = null;

  // ---- replies ----
  /**
   * A quiet message (a NOTICE, a receipt's PONG) is being handled: no error is answered to it
   * (NOTICE never triggers automatic replies). The next line waits meanwhile (see IrcConnection).
   */
  quiet = false;
  /** Code of the last error rendered for this connection (how a refused login is answered). */
  lastError: string | null = null;

  /** A group line with this id is being shown (only while the channel window is open). */
  saw(msg: ServerMessage): void {
    if (msg.type === 'msg' && msg.scope === 'group' && this.joined) this.oldest = Math.min(this.oldest ?? msg.id, msg.id);
  }

  /** Registered as IRC sees it: logged in and done negotiating. */
  get registered(): boolean {
    return this.loggedIn && !this.negotiating;
  }

  /** The login went through as `name` (the session's name: an account's spelling, or a guest's). */
  welcome(name: string): void {
    this.nick = name;
    this.key = foldName(name);
  }

  /** `nick!user@host` for this user. */
  get mask(): string {
    return userMask(this.nick);
  }
}

/** The host every user is shown at: where they connect from is nobody else's business. */
export const HOST = 'tinychat';

/** `nick!nick@tinychat`: how IRC clients see a user of the room. */
export function userMask(nick: string): string {
  return `${nick}!${nick}@${HOST}`;
}
