/**
 * What the IRC command handlers give back, and the helpers they share: Effects for the connection
 * to carry out, and the one way a command becomes a typed ClientMessage (checked against the
 * protocol table exactly as a native frame is).
 */
import { validate } from '../../../common/codec.js';
import { ChatError, chatError } from '../../../common/errors.js';
import { CLIENT_MESSAGES, type ClientMessage } from '../../../common/protocol.js';
import { asciiLower } from './parse.js';
import { MAX_ASKED, type Ask, type IrcPeer } from './peer.js';
import { numeric } from './render.js';

/** What the connection does for one IRC message. */
export type Effect =
  /** IRC lines of its own (not the chat's): written at once. */
  | { do: 'reply'; lines: string[] }
  /** A message for the dispatcher. `ask`: what its `who` reply answers; `quiet`: errors go unanswered (NOTICE). */
  | { do: 'send'; msg: ClientMessage; ask?: Ask; quiet?: boolean }
  /** The login, for the dispatcher; `via` says how a refusal is answered. */
  | { do: 'login'; msg: ClientMessage<'login'>; via: 'pass' | 'sasl' }
  /** A refusal the wire renders (as for a native client's bad frame). */
  | { do: 'refuse'; error: ChatError }
  /** Before login: a line that is not part of registration counts (see BaseConnection.strike). */
  | { do: 'strike' }
  /** The client answered PING: it is alive. */
  | { do: 'alive' }
  /** Registration is over (CAP END after a SASL login): what waited for it goes out. */
  | { do: 'release' }
  /** Close the connection (what to say has been said). */
  | { do: 'close'; reason: string };

/** What the handlers know of the place. */
export interface IrcContext {
  /** The room's channel, as configured (#tinychat). */
  channel: string;
  /** Largest chat text in bytes (--max-body). */
  maxBody: number;
}

/** IRC lines of the handler's own. */
export const reply = (...lines: string[]): Effect => ({ do: 'reply', lines });

/**
 * A typed ClientMessage, checked against the protocol table exactly as a native frame is (field
 * lengths, text rules): the same validation, not a second one.
 */
export function message(type: string, fields: Record<string, unknown>, text?: string): ClientMessage | ChatError {
  const body = text === undefined ? Buffer.alloc(0) : Buffer.from(text, 'utf8');
  return validate<ClientMessage>({ header: { type, ...fields }, body }, CLIENT_MESSAGES);
}

/** A message for the dispatcher, or its refusal (unanswered for a NOTICE). */
export function send(type: string, fields: Record<string, unknown>, text: string | undefined, ctx: IrcContext, quiet = false, ask?: Ask): Effect[] {
  if (text !== undefined && Buffer.byteLength(text) > ctx.maxBody) {
    return quiet ? [] : [{ do: 'refuse', error: chatError('FRAME_TOO_LARGE', Buffer.byteLength(text), ctx.maxBody) }];
  }
  const msg = message(type, fields, text);
  if (msg instanceof ChatError) return quiet ? [] : [{ do: 'refuse', error: msg }];
  return [{ do: 'send', msg, ...(ask ? { ask } : {}), ...(quiet ? { quiet } : {}) }];
}

/** A `who` asked for `ask`, unless too many questions wait already. */
export function ask(peer: IrcPeer, command: string, what: Ask, ctx: IrcContext): Effect[] {
  if (peer.asked.length >= MAX_ASKED) return [reply(numeric(peer, '263', command, 'Please wait a while and try again.'))];
  return send('who', {}, undefined, ctx, false, what);
}

export const isChannel = (target: string) => /^[#&+!]/.test(target);
export const sameChannel = (a: string, ctx: IrcContext) => asciiLower(a) === asciiLower(ctx.channel);
