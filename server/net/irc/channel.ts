/**
 * The one channel (the room, `#tinychat` by default) as IRC shows it: JOIN and PART open and close
 * its window, NAMES, WHO, WHOIS, ISON, USERHOST and LIST ask the chat who is online (the `who` reply is
 * rendered as what was asked), and MODE and TOPIC are read only.
 */
import { foldName } from '../../../common/names.js';
import { ask, isChannel, reply, sameChannel, type Effect, type IrcContext } from './effects.js';
import { ircLine, type IrcMessage } from './parse.js';
import type { IrcPeer } from './peer.js';
import { SERVICE, SERVICE_KEY, TOPIC, numeric } from './render.js';

/** 403 for a channel other than the room, which names the one there is, whatever the command. */
function noSuchChannel(peer: IrcPeer, ch: string, ctx: IrcContext): Effect {
  return reply(numeric(peer, '403', ch, `No such channel: the room is ${ctx.channel}`));
}

/** JOIN #channel: opens the channel window again (after a PART); other channels do not exist. */
export function join(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  if (msg.params[0] === '0') return part(peer, { ...msg, params: [ctx.channel] }, ctx);
  const effects: Effect[] = [];
  for (const ch of msg.params[0]!.split(',')) {
    if (!sameChannel(ch, ctx)) {
      effects.push(noSuchChannel(peer, ch, ctx));
    } else if (!peer.joined) {
      peer.joined = true;
      effects.push(reply(ircLine(peer.mask, 'JOIN', ctx.channel), numeric(peer, '332', ctx.channel, TOPIC)));
      effects.push(...ask(peer, 'NAMES', { kind: 'names' }, ctx));
    }
  }
  return effects;
}

/**
 * PART #channel: closes the channel window; the user stays online (they can be asked for private
 * chats and messaged) until they QUIT. JOIN opens it again.
 */
export function part(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const effects: Effect[] = [];
  for (const ch of msg.params[0]!.split(',')) {
    if (!sameChannel(ch, ctx)) effects.push(noSuchChannel(peer, ch, ctx));
    else if (!peer.joined) effects.push(reply(numeric(peer, '442', ctx.channel, "You're not on that channel")));
    else {
      peer.joined = false;
      effects.push(reply(ircLine(peer.mask, 'PART', ctx.channel, msg.params[1] ?? 'closed the window')));
    }
  }
  return effects;
}

export function names(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const ch = msg.params[0];
  if (ch !== undefined && !sameChannel(ch, ctx)) return [reply(numeric(peer, '366', ch, 'End of /NAMES list.'))];
  return ask(peer, 'NAMES', { kind: 'names' }, ctx);
}

export function who(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const mask = msg.params[0] ?? ctx.channel;
  if (isChannel(mask)) {
    if (!sameChannel(mask, ctx)) return [reply(numeric(peer, '315', mask, 'End of /WHO list.'))];
    return ask(peer, 'WHO', { kind: 'who', mask: ctx.channel }, ctx);
  }
  return ask(peer, 'WHO', { kind: 'who', mask }, ctx);
}

/** WHOIS [server] nick: minimal (the nick, the channel, the server). */
export function whois(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const nick = msg.params[msg.params.length - 1]!.split(',')[0]!;
  if (foldName(nick) === SERVICE_KEY) {
    return [reply(numeric(peer, '311', SERVICE, 'service', 'tinychat', '*', 'the tinychat service: /msg tinychat help'), numeric(peer, '318', SERVICE, 'End of /WHOIS list.'))];
  }
  return ask(peer, 'WHOIS', { kind: 'whois', nick }, ctx);
}

/**
 * WHOWAS nick [count]: no history of nicks is kept (a nick is an account, and who was online when
 * is nobody's business), so 406 and 369. irssi sends it by itself after a WHOIS answered 401.
 */
export function whowas(peer: IrcPeer, msg: IrcMessage): Effect[] {
  const nick = msg.params[0]!;
  return [reply(numeric(peer, '406', nick, 'There was no such nickname (tinychat keeps no WHOWAS history)'), numeric(peer, '369', nick, 'End of WHOWAS'))];
}

/** The nicks a command lists, as separate parameters or blank-separated in its last. */
const nicksIn = (msg: IrcMessage): string[] => msg.params.join(' ').split(' ').filter((n) => n !== '');

export function ison(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  return ask(peer, 'ISON', { kind: 'ison', nicks: nicksIn(msg) }, ctx);
}

/** USERHOST nick [nick...] (at most 5, as RFC 2812): 302 with those online, `-` marking the away. */
export function userhost(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  return ask(peer, 'USERHOST', { kind: 'userhost', nicks: nicksIn(msg).slice(0, 5) }, ctx);
}

export function list(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const ch = msg.params[0];
  if (ch !== undefined && !ch.split(',').some((c) => sameChannel(c, ctx))) {
    return [reply(numeric(peer, '321', 'Channel', 'Users  Name'), numeric(peer, '323', 'End of /LIST'))];
  }
  return ask(peer, 'LIST', { kind: 'list' }, ctx);
}

/** MODE #channel [b|e|I]: read only (324, and empty lists); MODE own-nick: none; others: refused. */
export function mode(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const [target, modes] = msg.params as [string, string | undefined];
  if (isChannel(target)) {
    if (!sameChannel(target, ctx)) return [noSuchChannel(peer, target, ctx)];
    const ch = ctx.channel;
    if (modes === undefined) return [reply(numeric(peer, '324', ch, '+nt'))];
    const list = msg.params.length === 2 ? modes.replace(/^\+/, '') : '';
    if (list === 'b') return [reply(numeric(peer, '368', ch, 'End of channel ban list'))];
    if (list === 'e') return [reply(numeric(peer, '349', ch, 'End of channel exception list'))];
    if (list === 'I') return [reply(numeric(peer, '347', ch, 'End of channel invite list'))];
    return [reply(numeric(peer, '482', ch, "You're not a channel operator: the channel's modes are fixed"))];
  }
  if (foldName(target) !== peer.key) return [reply(numeric(peer, '502', "Can't change mode for other users"))];
  return modes === undefined ? [reply(numeric(peer, '221', '+'))] : [];
}

/** TOPIC #channel: read only. */
export function topic(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const [ch, set] = msg.params as [string, string | undefined];
  if (!sameChannel(ch, ctx)) return [noSuchChannel(peer, ch, ctx)];
  if (set !== undefined) return [reply(numeric(peer, '482', ctx.channel, "You're not a channel operator: the topic is fixed"))];
  return [reply(numeric(peer, '332', ctx.channel, TOPIC))];
}
