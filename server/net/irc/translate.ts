/**
 * IRC commands as the chat's own messages: the command table of the IRC side. Each entry says
 * when it may be used (before registration, after it, or both) and how many parameters it needs,
 * checked once here (ergo's Command.Run); its handler turns one IrcMessage into Effects for the
 * connection to carry out: a typed ClientMessage for the same dispatcher native clients use, an
 * IRC reply that concerns IRC alone (PONG, CAP, MODE, 421...), or a change of the connection's
 * IRC state. Pure, but for the IrcPeer it reads and updates: testable with literal messages.
 *
 * No chat rule is here. Who exists, who may talk, flood limits, consent and accounts are the
 * dispatcher's and the room's: a PRIVMSG to a nick is a `dm` whatever the nick, and the answer
 * (delivered, kept for an offline account, "not online") comes back through the outbox.
 *
 *   PASS, NICK, USER, CAP, AUTHENTICATE   registration: the login is a `login` (registration.ts)
 *   PRIVMSG/NOTICE #channel :text         say (to the group)
 *   PRIVMSG/NOTICE nick :text             dm
 *   PRIVMSG/NOTICE target :\x01ACTION text\x01   the same, an action (/me); other CTCPs: ctcp.ts
 *   PRIVMSG tinychat :PM bob | accept bob | reject bob | y | n | exit | help
 *                                         pm_request, pm_answer, pm_exit
 *   PRIVMSG tinychat :history [N]         history (older than the oldest line shown)
 *   NAMES, WHO, WHOIS, ISON, USERHOST, LIST   who (the reply is rendered as what was asked; channel.ts)
 *   QUIT                                  logout
 *   PONG receipt-<id>                     received (the PING after a batch of offline messages)
 *   JOIN, PART, MODE, TOPIC, MOTD, VERSION, WHOWAS, PING, PONG   IRC only; AWAY is the native away/back
 */
import { yesOrNo } from '../../../common/answer.js';
import { foldName } from '../../../common/names.js';
import { join, ison, list, mode, names, part, topic, userhost, who, whois, whowas } from './channel.js';
import { ctcpOf, serviceAnswer } from './ctcp.js';
import { isChannel, reply, sameChannel, send, type Effect, type IrcContext } from './effects.js';
import { ircLine, type IrcMessage } from './parse.js';
import type { IrcPeer } from './peer.js';
import { receiptOf } from './receipt.js';
import { authenticate, cap, nick, pass, user } from './registration.js';
import { HELP, SERVER, SERVICE_KEY, fromService, motd, numeric, version } from './render.js';

interface IrcCommand {
  /** 'before': only before login (462 after); 'after': only once registered (451 before); 'any'. */
  when: 'before' | 'after' | 'any';
  /** Fewest parameters (461 below). */
  min: number;
  run(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[];
}

/** The effects of one message from the client. */
export function translate(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const command = Object.hasOwn(COMMANDS, msg.command) ? COMMANDS[msg.command]! : undefined;
  if (!command) {
    const unknown = reply(numeric(peer, '421', msg.command, 'Unknown command'));
    return peer.loggedIn ? [unknown] : [unknown, { do: 'strike' }];
  }
  if (command.when === 'after' && !peer.registered) {
    return [reply(numeric(peer, '451', 'You have not registered')), { do: 'strike' }];
  }
  if (command.when === 'before' && peer.loggedIn) return [reply(numeric(peer, '462', 'You may not reregister'))];
  if (msg.params.length < command.min) return [reply(numeric(peer, '461', msg.command, 'Not enough parameters'))];
  return command.run(peer, msg, ctx);
}

// ---- talking ---------------------------------------------------------------------------------

/**
 * PRIVMSG/NOTICE target :text. To the channel: a group line; to a nick: one private message; to
 * `tinychat`: a service command. `\x01ACTION text\x01` (`/me text`) is the same line as an action;
 * another CTCP is no chat line (ctcp.ts). A NOTICE is the same line, but nothing is ever answered
 * to it (no error, no service reply), so bots cannot loop.
 */
function talk(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const quiet = msg.command === 'NOTICE';
  const answer = (line: string) => (quiet ? [] : [reply(line)]);
  const [target, raw] = msg.params;
  if (target === undefined || target === '') return answer(numeric(peer, '411', `No recipient given (${msg.command})`));
  if (raw === undefined || raw === '') return answer(numeric(peer, '412', 'No text to send'));
  if (target.includes(',')) return answer(numeric(peer, '407', target, 'Too many recipients: one at a time'));
  const toService = foldName(target) === SERVICE_KEY;
  const ctcp = ctcpOf(raw);
  if (ctcp !== null && ctcp.verb !== 'ACTION') {
    // A query to the server is answered by its service; to anyone else, dropped (see ctcp.ts).
    const lines = toService && !quiet ? serviceAnswer(peer, ctcp) : [];
    return lines.length > 0 ? [reply(...lines)] : [];
  }
  const action = ctcp !== null;
  const text = (action ? ctcp.arg : raw).replace(FORMATTING, '');
  if (text.trim() === '') return answer(numeric(peer, '412', 'No text to send'));
  const act = action ? { action: true } : {};
  if (isChannel(target)) {
    if (!sameChannel(target, ctx)) return answer(numeric(peer, '403', target, `No such channel: the room is ${ctx.channel}`));
    if (!peer.joined) return answer(numeric(peer, '404', ctx.channel, `Cannot send to channel: join ${ctx.channel} first`));
    return send('say', { group: true, ...act }, text, ctx, quiet);
  }
  if (toService) return quiet ? [] : action ? notACommand(peer, `* ${text}`) : service(peer, text, ctx);
  return send('dm', { to: target, ...act }, text, ctx, quiet);
}

/** IRC formatting (bold, colours, italics...) is not text: tinychat lines are plain. */
const FORMATTING = /\u0003(?:\d{1,2}(?:,\d{1,2})?)?|\u0004(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\u0002\u000f\u0011\u0016\u001d\u001e\u001f]/g;

/**
 * PRIVMSG tinychat :<command>: private chats with consent, as the native client's @PM, Y/N and
 * EXIT PM; and older lines of the channel, as its /history.
 */
function service(peer: IrcPeer, text: string, ctx: IrcContext): Effect[] {
  const [verb = '', name, ...more] = text.trim().split(/\s+/);
  const answer = yesOrNo(text);
  if (answer !== null) return send('pm_answer', { accept: answer }, undefined, ctx);
  switch (verb.toLowerCase()) {
    case 'pm':
    case '@pm':
      if (name === undefined || more.length > 0) return misused(peer, text, 'PM <nick>');
      return send('pm_request', { to: name }, undefined, ctx);
    case 'accept':
    case 'reject':
      return send('pm_answer', { accept: verb.toLowerCase() === 'accept', ...(name === undefined ? {} : { from: name }) }, undefined, ctx);
    case 'exit':
      if (name !== undefined && (name.toLowerCase() !== 'pm' || more.length > 0)) return misused(peer, text, 'EXIT');
      return send('pm_exit', {}, undefined, ctx);
    case 'history': {
      // As the native /history: older lines than any shown yet; the chat sets the default count
      // and caps it at the most a page holds.
      if ((name !== undefined && !/^[1-9]\d{0,2}$/.test(name)) || more.length > 0) return misused(peer, text, 'HISTORY [N], N lines from 1 to 200');
      if (!peer.joined) return [reply(...fromService(peer, `The history is shown in ${ctx.channel}: /join ${ctx.channel} first.`))];
      const count = name === undefined ? {} : { count: Number(name) };
      return send('history', { ...count, ...(peer.oldest !== null ? { before: peer.oldest } : {}) }, undefined, ctx);
    }
    case 'help':
      return [reply(...HELP.flatMap((l) => fromService(peer, l)))];
    default:
      break;
  }
  return notACommand(peer, text);
}

/**
 * A command the service knows, given what it does not take ("history 1000", a bare "PM"): how
 * to write it, in one line. "Not a command" and the whole help would say it does not know it.
 */
function misused(peer: IrcPeer, text: string, usage: string): Effect[] {
  return [reply(...fromService(peer, `Not understood: ${quoted(text)}. Use ${usage}.`))];
}

/** What the service says to a line it does not take: that, and its help. */
function notACommand(peer: IrcPeer, text: string): Effect[] {
  return [reply(...fromService(peer, `Not a command: ${quoted(text)}.`), ...HELP.flatMap((l) => fromService(peer, l)))];
}

/** The line the service answers, quoted back: its first 100 characters. */
const quoted = (text: string): string => `"${text.trim().slice(0, 100)}"`;

/**
 * PONG [server] :token: the answer to the keepalive PING, a sign of life; to the PING after a
 * batch of offline messages, also its receipt (see receipt.ts). Quiet: an IRC client can do
 * nothing with an error about its PONG.
 */
function pong(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  if (!peer.loggedIn) return [];
  const id = receiptOf(msg.params.at(-1));
  return id === null ? [{ do: 'alive' }] : [{ do: 'alive' }, ...send('received', { id }, undefined, ctx, true)];
}

const COMMANDS: Record<string, IrcCommand> = {
  PASS: { when: 'any', min: 1, run: pass },
  NICK: { when: 'any', min: 0, run: nick },
  USER: { when: 'any', min: 4, run: user },
  CAP: { when: 'any', min: 1, run: cap },
  AUTHENTICATE: { when: 'any', min: 1, run: authenticate },
  PING: { when: 'any', min: 1, run: (_peer, msg) => [reply(ircLine(SERVER, 'PONG', SERVER, msg.params[0]!))] },
  PONG: { when: 'any', min: 0, run: pong },
  QUIT: {
    when: 'any',
    min: 0,
    run: (peer, _msg, ctx) => (peer.loggedIn ? send('logout', {}, undefined, ctx) : [reply(ircLine(null, 'ERROR', 'Closing link: quit')), { do: 'close', reason: 'quit' }]),
  },
  PRIVMSG: { when: 'after', min: 0, run: talk },
  NOTICE: { when: 'after', min: 0, run: talk },
  JOIN: { when: 'after', min: 1, run: join },
  PART: { when: 'after', min: 1, run: part },
  NAMES: { when: 'after', min: 0, run: names },
  WHO: { when: 'after', min: 0, run: who },
  WHOIS: { when: 'after', min: 1, run: whois },
  WHOWAS: { when: 'after', min: 1, run: whowas },
  ISON: { when: 'after', min: 1, run: ison },
  USERHOST: { when: 'after', min: 1, run: userhost },
  LIST: { when: 'after', min: 0, run: list },
  MODE: { when: 'after', min: 1, run: mode },
  TOPIC: { when: 'after', min: 1, run: topic },
  MOTD: { when: 'after', min: 0, run: (peer, _msg, ctx) => [reply(...motd(peer, ctx.channel))] },
  VERSION: { when: 'after', min: 0, run: (peer) => [reply(version(peer))] },
  // AWAY :message marks you away (the native /away); a bare AWAY is the native /back.
  AWAY: {
    when: 'after',
    min: 0,
    run: (_peer, msg, ctx) => (msg.params[0] ? send('away', { message: msg.params[0] }, undefined, ctx) : send('back', {}, undefined, ctx)),
  },
};

