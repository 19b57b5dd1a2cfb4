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
 *   PASS, NICK, USER, CAP, AUTHENTICATE   registration: the login is a `login` (see maybeLogin)
 *   PRIVMSG/NOTICE #channel :text         say (to the group)
 *   PRIVMSG/NOTICE nick :text             dm
 *   PRIVMSG tinychat :PM bob | accept bob | reject bob | y | n | exit | help
 *                                         pm_request, pm_answer, pm_exit
 *   PRIVMSG tinychat :history [N]         history (older than the oldest line shown)
 *   NAMES, WHO, WHOIS, ISON, LIST         who (the reply is rendered as what was asked)
 *   QUIT                                  logout
 *   JOIN, PART, MODE, TOPIC, MOTD, PING, PONG   IRC only; AWAY is the native away/back
 */
import { yesOrNo } from '../../../common/answer.js';
import { validate } from '../../../common/codec.js';
import { ChatError, chatError } from '../../../common/errors.js';
import { foldName, nameProblem } from '../../../common/names.js';
import { CLIENT_MESSAGES, type ClientMessage } from '../../../common/protocol.js';
import { asciiLower, ircLine, type IrcMessage } from './parse.js';
import { CAPS, MAX_ASKED, type Ask, type Cap, type IrcPeer } from './peer.js';
import { HELP, SERVER, SERVICE, SERVICE_KEY, TOPIC, closesAfter, fromService, motd, numeric } from './render.js';

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

interface IrcCommand {
  /** 'before': only before login (462 after); 'after': only once registered (451 before); 'any'. */
  when: 'before' | 'after' | 'any';
  /** Fewest parameters (461 below). */
  min: number;
  run(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[];
}

const reply = (...lines: string[]): Effect => ({ do: 'reply', lines });

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

/**
 * A login that was refused: close the connection if IRC gives the client no way to try again on
 * it (what to say was rendered with the error). A nick in use may be followed by another NICK,
 * which IRC clients send by themselves (alice_): the password was given for the first nick, and
 * must not register the second, so it is forgotten (PASS again to log in as another nick).
 */
export function refused(peer: IrcPeer): Effect[] {
  const { lastError: code, via } = peer;
  peer.via = null;
  if (code === null) return [];
  if (closesAfter(code, via)) return [{ do: 'close', reason: `login refused (${code})` }];
  if (via === 'pass' && (code === 'ALREADY_LOGGED_IN' || code === 'NAME_TAKEN')) peer.pass = null;
  return [];
}

/** A login without SASL, once NICK and USER are in and no capability negotiation is under way. */
function maybeLogin(peer: IrcPeer): Effect[] {
  if (peer.loggedIn || peer.negotiating || peer.wanted === null || !peer.userGiven) return [];
  return login(peer, peer.wanted, peer.pass ?? '', 'pass');
}

function login(peer: IrcPeer, user: string, password: string, via: 'pass' | 'sasl'): Effect[] {
  const msg = message('login', { user, password });
  if (!(msg instanceof ChatError)) return [{ do: 'login', msg: msg as ClientMessage<'login'>, via }];
  if (via === 'sasl') return [reply(numeric(peer, '904', `SASL authentication failed: ${msg.message}`))];
  return [reply(ircLine(null, 'ERROR', `Closing link: ${msg.message}`)), { do: 'close', reason: `login refused (${msg.code})` }];
}

/**
 * A typed ClientMessage, checked against the protocol table exactly as a native frame is (field
 * lengths, text rules): the same validation, not a second one.
 */
function message(type: string, fields: Record<string, unknown>, text?: string): ClientMessage | ChatError {
  const body = text === undefined ? Buffer.alloc(0) : Buffer.from(text, 'utf8');
  return validate<ClientMessage>({ header: { type, ...fields }, body }, CLIENT_MESSAGES);
}

/** A message for the dispatcher, or its refusal (unanswered for a NOTICE). */
function send(type: string, fields: Record<string, unknown>, text: string | undefined, ctx: IrcContext, quiet = false, ask?: Ask): Effect[] {
  if (text !== undefined && Buffer.byteLength(text) > ctx.maxBody) {
    return quiet ? [] : [{ do: 'refuse', error: chatError('FRAME_TOO_LARGE', Buffer.byteLength(text), ctx.maxBody) }];
  }
  const msg = message(type, fields, text);
  if (msg instanceof ChatError) return quiet ? [] : [{ do: 'refuse', error: msg }];
  return [{ do: 'send', msg, ...(ask ? { ask } : {}), ...(quiet ? { quiet } : {}) }];
}

/** A `who` asked for `ask`, unless too many questions wait already. */
function ask(peer: IrcPeer, command: string, what: Ask, ctx: IrcContext): Effect[] {
  if (peer.asked.length >= MAX_ASKED) return [reply(numeric(peer, '263', command, 'Please wait a while and try again.'))];
  return send('who', {}, undefined, ctx, false, what);
}

const isChannel = (target: string) => /^[#&+!]/.test(target);
const sameChannel = (a: string, ctx: IrcContext) => asciiLower(a) === asciiLower(ctx.channel);

// ---- registration ----------------------------------------------------------------------------

/** NICK nick: before login, the name to log in as (the product's name rules); after, fixed. */
function nick(peer: IrcPeer, msg: IrcMessage): Effect[] {
  const given = msg.params[0];
  if (given === undefined || given === '') return [reply(numeric(peer, '431', 'No nickname given'))];
  if (peer.loggedIn) {
    if (foldName(given) === peer.key) return [];
    return [reply(numeric(peer, '447', 'Cannot change nickname: on tinychat your nick is your account'))];
  }
  const wanted = given.normalize('NFC');
  const problem = foldName(wanted) === SERVICE_KEY ? `${SERVICE} is the service's nick` : nameProblem(wanted);
  if (problem) return [reply(numeric(peer, '432', given, `Erroneous nickname: ${problem}`))];
  peer.wanted = wanted;
  peer.nick = wanted;
  return maybeLogin(peer);
}

/**
 * USER name mode * :realname: part of registration (its contents are not used: the nick is the
 * account). After a SASL login it may still come, once (irssi sends NICK and USER after CAP END).
 */
function user(peer: IrcPeer): Effect[] {
  if (peer.loggedIn && peer.userGiven) return [reply(numeric(peer, '462', 'You may not reregister'))];
  const first = !peer.userGiven;
  peer.userGiven = true;
  return first ? maybeLogin(peer) : [];
}

/** CAP LS [302] | LIST | REQ :caps | END: IRCv3 capability negotiation; registration waits for END. */
function cap(peer: IrcPeer, msg: IrcMessage): Effect[] {
  const sub = msg.params[0]!.toUpperCase();
  const capLine = (...params: string[]) => ircLine(SERVER, 'CAP', peer.nick, ...params);
  switch (sub) {
    case 'LS': {
      if (!peer.loggedIn) peer.negotiating = true;
      const v302 = Number(msg.params[1]) >= 302;
      return [reply(capLine('LS', CAPS.map((c) => (c === 'sasl' && v302 ? 'sasl=PLAIN' : c)).join(' ')))];
    }
    case 'LIST':
      return [reply(capLine('LIST', [...peer.caps].join(' ')))];
    case 'REQ': {
      if (!peer.loggedIn) peer.negotiating = true;
      const asked = (msg.params[1] ?? '').split(' ').filter((c) => c !== '');
      const known = (c: string) => (CAPS as readonly string[]).includes(c.replace(/^-/, ''));
      if (asked.length === 0 || !asked.every(known)) return [reply(capLine('NAK', asked.join(' ')))];
      for (const c of asked) {
        if (c.startsWith('-')) peer.caps.delete(c.slice(1) as Cap);
        else peer.caps.add(c as Cap);
      }
      return [reply(capLine('ACK', asked.join(' ')))];
    }
    case 'END':
      if (!peer.negotiating) return [];
      peer.negotiating = false;
      peer.sasl = { stage: 'none' };
      return peer.loggedIn ? [{ do: 'release' }] : maybeLogin(peer);
    default:
      return [reply(numeric(peer, '410', sub, 'Invalid CAP command'))];
  }
}

/** Longest SASL message taken, base64 (an account name, a password of 1,024 characters and two NULs fit). */
const SASL_MAX = 6000;

/**
 * AUTHENTICATE PLAIN, then AUTHENTICATE <base64 of "authzid NUL authcid NUL password"> (in 400-byte
 * pieces), or * to abort: SASL PLAIN (RFC 4616). The account is the authcid; the login starts at once.
 */
function authenticate(peer: IrcPeer, msg: IrcMessage): Effect[] {
  const arg = msg.params[0]!;
  const fail = (why: string) => {
    peer.sasl = { stage: 'none' };
    return [reply(numeric(peer, '904', `SASL authentication failed: ${why}`))];
  };
  if (peer.loggedIn) return [reply(numeric(peer, '907', 'You have already authenticated'))];
  if (arg === '*') {
    if (peer.sasl.stage === 'none') return [];
    peer.sasl = { stage: 'none' };
    return [reply(numeric(peer, '906', 'SASL authentication aborted'))];
  }
  if (peer.sasl.stage === 'none') {
    if (arg.toUpperCase() !== 'PLAIN') {
      return [reply(numeric(peer, '908', 'PLAIN', 'are available SASL mechanisms')), ...fail(`${arg} is not offered; use PLAIN`)];
    }
    peer.sasl = { stage: 'plain', received: '' };
    return [reply(ircLine(null, 'AUTHENTICATE', '+'))];
  }
  const received = peer.sasl.received + (arg === '+' ? '' : arg);
  if (received.length > SASL_MAX) {
    peer.sasl = { stage: 'none' };
    return [reply(numeric(peer, '905', 'SASL message too long'))];
  }
  if (arg.length === 400) {
    peer.sasl = { stage: 'plain', received };
    return [];
  }
  peer.sasl = { stage: 'none' };
  const parts = plainCredentials(received);
  if (typeof parts === 'string') return fail(parts);
  const [authz, user, password] = parts;
  if (authz !== '' && foldName(authz) !== foldName(user)) return fail('you can only log in as yourself');
  if (password === '') return fail('a password is needed');
  peer.account = user;
  peer.nick = peer.wanted ?? user;
  return login(peer, user, password, 'sasl');
}

/** The three fields of a SASL PLAIN message, or what is wrong with it. */
function plainCredentials(base64: string): [string, string, string] | string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return 'the message is not base64';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
  } catch {
    return 'the message is not UTF-8';
  }
  const parts = text.split('\0');
  if (parts.length !== 3) return 'the message is not authzid NUL authcid NUL password';
  return parts as [string, string, string];
}

// ---- talking ---------------------------------------------------------------------------------

/**
 * PRIVMSG/NOTICE target :text. To the channel: a group line; to a nick: one private message; to
 * `tinychat`: a service command. A NOTICE is the same line, but nothing is ever answered to it
 * (no error, no service reply), so bots cannot loop.
 */
function talk(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const quiet = msg.command === 'NOTICE';
  const answer = (line: string) => (quiet ? [] : [reply(line)]);
  const [target, raw] = msg.params;
  if (target === undefined || target === '') return answer(numeric(peer, '411', `No recipient given (${msg.command})`));
  if (raw === undefined || raw === '') return answer(numeric(peer, '412', 'No text to send'));
  if (target.includes(',')) return answer(numeric(peer, '407', target, 'Too many recipients: one at a time'));
  const text = plainText(raw);
  if (text === null) return []; // a CTCP query (VERSION, PING...): nothing for the chat
  if (text.trim() === '') return answer(numeric(peer, '412', 'No text to send'));
  if (isChannel(target)) {
    if (!sameChannel(target, ctx)) return answer(numeric(peer, '403', target, `No such channel: the room is ${ctx.channel}`));
    if (!peer.joined) return answer(numeric(peer, '404', ctx.channel, `Cannot send to channel: join ${ctx.channel} first`));
    return send('say', { group: true }, text, ctx, quiet);
  }
  if (foldName(target) === SERVICE_KEY) return quiet ? [] : service(peer, text, ctx);
  peer.target = target;
  return send('dm', { to: target }, text, ctx, quiet);
}

/** IRC formatting (bold, colours, italics...) is not text: tinychat lines are plain. */
const FORMATTING = /\u0003(?:\d{1,2}(?:,\d{1,2})?)?|\u0004(?:[0-9a-fA-F]{6}(?:,[0-9a-fA-F]{6})?)?|[\u0002\u000f\u0011\u0016\u001d\u001e\u001f]/g;

/** The text of a line as the chat takes it: `/me waves` (CTCP ACTION) is "* waves"; other CTCPs are null. */
function plainText(raw: string): string | null {
  if (raw.startsWith('\u0001')) {
    const body = raw.slice(1, raw.endsWith('\u0001') ? -1 : undefined);
    const space = body.indexOf(' ');
    if ((space < 0 ? body : body.slice(0, space)).toUpperCase() !== 'ACTION') return null;
    return `* ${space < 0 ? '' : body.slice(space + 1).replace(FORMATTING, '')}`;
  }
  return raw.replace(FORMATTING, '');
}

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
      if (name === undefined) break;
      peer.target = name;
      return send('pm_request', { to: name }, undefined, ctx);
    case 'accept':
    case 'reject':
      return send('pm_answer', { accept: verb.toLowerCase() === 'accept', ...(name === undefined ? {} : { from: name }) }, undefined, ctx);
    case 'exit':
      if (name !== undefined && (name.toLowerCase() !== 'pm' || more.length > 0)) break;
      return send('pm_exit', {}, undefined, ctx);
    case 'history': {
      // As the native /history: older lines than any shown yet; the chat sets the default count
      // and caps it at the most a page holds.
      if ((name !== undefined && !/^[1-9]\d{0,2}$/.test(name)) || more.length > 0) break;
      if (!peer.joined) return [reply(...fromService(peer, `The history is shown in ${ctx.channel}: /join ${ctx.channel} first.`))];
      const count = name === undefined ? {} : { count: Number(name) };
      return send('history', { ...count, ...(peer.oldest !== null ? { before: peer.oldest } : {}) }, undefined, ctx);
    }
    case 'help':
      return [reply(...HELP.flatMap((l) => fromService(peer, l)))];
    default:
      break;
  }
  return [reply(...fromService(peer, `Not a command: "${text.trim().slice(0, 100)}".`), ...HELP.flatMap((l) => fromService(peer, l)))];
}

// ---- the channel -----------------------------------------------------------------------------

/** JOIN #channel: opens the channel window again (after a PART); other channels do not exist. */
function join(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  if (msg.params[0] === '0') return part(peer, { ...msg, params: [ctx.channel] }, ctx);
  const effects: Effect[] = [];
  for (const ch of msg.params[0]!.split(',')) {
    if (!sameChannel(ch, ctx)) {
      effects.push(reply(numeric(peer, '403', ch, `No such channel: the room is ${ctx.channel}`)));
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
function part(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const effects: Effect[] = [];
  for (const ch of msg.params[0]!.split(',')) {
    if (!sameChannel(ch, ctx)) effects.push(reply(numeric(peer, '403', ch, 'No such channel')));
    else if (!peer.joined) effects.push(reply(numeric(peer, '442', ctx.channel, "You're not on that channel")));
    else {
      peer.joined = false;
      effects.push(reply(ircLine(peer.mask, 'PART', ctx.channel, msg.params[1] ?? 'closed the window')));
    }
  }
  return effects;
}

function names(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const ch = msg.params[0];
  if (ch !== undefined && !sameChannel(ch, ctx)) return [reply(numeric(peer, '366', ch, 'End of /NAMES list.'))];
  return ask(peer, 'NAMES', { kind: 'names' }, ctx);
}

function who(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const mask = msg.params[0] ?? ctx.channel;
  if (isChannel(mask)) {
    if (!sameChannel(mask, ctx)) return [reply(numeric(peer, '315', mask, 'End of /WHO list.'))];
    return ask(peer, 'WHO', { kind: 'who', mask: ctx.channel }, ctx);
  }
  return ask(peer, 'WHO', { kind: 'who', mask }, ctx);
}

/** WHOIS [server] nick: minimal (the nick, the channel, the server). */
function whois(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const nick = msg.params[msg.params.length - 1]!.split(',')[0]!;
  if (foldName(nick) === SERVICE_KEY) {
    return [reply(numeric(peer, '311', SERVICE, 'service', 'tinychat', '*', 'the tinychat service: /msg tinychat help'), numeric(peer, '318', SERVICE, 'End of /WHOIS list.'))];
  }
  return ask(peer, 'WHOIS', { kind: 'whois', nick }, ctx);
}

function ison(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  return ask(peer, 'ISON', { kind: 'ison', nicks: msg.params.join(' ').split(' ').filter((n) => n !== '') }, ctx);
}

function list(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const ch = msg.params[0];
  if (ch !== undefined && !ch.split(',').some((c) => sameChannel(c, ctx))) {
    return [reply(numeric(peer, '321', 'Channel', 'Users  Name'), numeric(peer, '323', 'End of /LIST'))];
  }
  return ask(peer, 'LIST', { kind: 'list' }, ctx);
}

/** MODE #channel [b|e|I]: read only (324, and empty lists); MODE own-nick: none; others: refused. */
function mode(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const [target, modes] = msg.params as [string, string | undefined];
  if (isChannel(target)) {
    if (!sameChannel(target, ctx)) return [reply(numeric(peer, '403', target, 'No such channel'))];
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
function topic(peer: IrcPeer, msg: IrcMessage, ctx: IrcContext): Effect[] {
  const [ch, set] = msg.params as [string, string | undefined];
  if (!sameChannel(ch, ctx)) return [reply(numeric(peer, '403', ch, 'No such channel'))];
  if (set !== undefined) return [reply(numeric(peer, '482', ctx.channel, "You're not a channel operator: the topic is fixed"))];
  return [reply(numeric(peer, '332', ctx.channel, TOPIC))];
}

const COMMANDS: Record<string, IrcCommand> = {
  PASS: { when: 'before', min: 1, run: (peer, msg) => ((peer.pass = msg.params[0]!), []) },
  NICK: { when: 'any', min: 0, run: nick },
  USER: { when: 'any', min: 4, run: user },
  CAP: { when: 'any', min: 1, run: cap },
  AUTHENTICATE: { when: 'any', min: 1, run: authenticate },
  PING: { when: 'any', min: 1, run: (_peer, msg) => [reply(ircLine(SERVER, 'PONG', SERVER, msg.params[0]!))] },
  PONG: { when: 'any', min: 0, run: (peer) => (peer.loggedIn ? [{ do: 'alive' }] : []) },
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
  ISON: { when: 'after', min: 1, run: ison },
  LIST: { when: 'after', min: 0, run: list },
  MODE: { when: 'after', min: 1, run: mode },
  TOPIC: { when: 'after', min: 1, run: topic },
  MOTD: { when: 'after', min: 0, run: (peer, _msg, ctx) => [reply(...motd(peer, ctx.channel))] },
  // AWAY :message marks you away (the native /away); a bare AWAY is the native /back.
  AWAY: {
    when: 'after',
    min: 0,
    run: (_peer, msg, ctx) => (msg.params[0] ? send('away', { message: msg.params[0] }, undefined, ctx) : send('back', {}, undefined, ctx)),
  },
};

