/**
 * CTCP, the Client-To-Client Protocol: a PRIVMSG or NOTICE whose text is framed by \x01,
 * `\x01VERB arg\x01` (https://modern.ircdocs.horse/ctcp). IRC clients send `/me waves` as an
 * ACTION, and ask each other VERSION, PING, TIME, CLIENTINFO (and DCC, for files).
 *
 * Only ACTION is chat: it becomes a line with the `action` flag, as a tinychat client's `/me`
 * (translate.ts), and such lines go out as ACTIONs (render.ts). Any other CTCP is no chat text:
 * its \x01 is a control character the text rules refuse, and no tinychat client could answer it.
 * A query to a nick or to the channel is dropped, as the CTCP spec has a client do with a query it
 * does not know (the asker's client gives up by itself); the server does not answer in a user's
 * name. A query to the service `tinychat` is one to the server, and it answers VERSION, PING and
 * CLIENTINFO. A CTCP in a NOTICE is an answer: never answered, so two programs cannot loop.
 */
import { PROTOCOL_VERSION } from '../../../common/protocol.js';
import { ctcpLine } from './parse.js';
import type { IrcPeer } from './peer.js';
import { SERVICE_MASK } from './render.js';

/** One CTCP message: its verb in upper case, and what follows the first space ('' when nothing). */
export interface Ctcp {
  verb: string;
  arg: string;
}

/**
 * The CTCP message `text` is, or null when it is plain text. The closing \x01 is optional: some
 * clients leave it out, and the spec asks for it to be accepted so.
 */
export function ctcpOf(text: string): Ctcp | null {
  if (!text.startsWith('\u0001')) return null;
  const body = text.slice(1, text.length > 1 && text.endsWith('\u0001') ? -1 : undefined);
  const space = body.indexOf(' ');
  if (space < 0) return { verb: body.toUpperCase(), arg: '' };
  return { verb: body.slice(0, space).toUpperCase(), arg: body.slice(space + 1) };
}

/** The queries the service answers, and the argument of each answer. */
const ANSWERS: Record<string, (arg: string) => string> = {
  VERSION: () => `tinychat (protocol ${PROTOCOL_VERSION})`,
  // The asker's token back as it came: the asker measures the round trip with it.
  PING: (arg) => arg,
  // The CTCPs the server understands: ACTION is chat, the rest are answered here.
  CLIENTINFO: () => ['ACTION', ...Object.keys(ANSWERS)].sort().join(' '),
};

/** The service's answer to a CTCP query sent to it: one NOTICE, or nothing for a query it does not know. */
export function serviceAnswer(peer: IrcPeer, query: Ctcp): string[] {
  const answer = Object.hasOwn(ANSWERS, query.verb) ? ANSWERS[query.verb]! : undefined;
  return answer ? [ctcpLine(SERVICE_MASK, 'NOTICE', peer.nick, query.verb, answer(query.arg))] : [];
}
