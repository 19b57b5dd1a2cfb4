/**
 * The chat's messages as IRC lines: what an IRC client is sent for each ServerMessage the outbox
 * delivers. Pure: a message and what is known of the recipient (their IrcPeer) in, lines out
 * (without CR LF). The wire (wire.ts) turns them into bytes and decides what is shared.
 *
 * - A group line is `PRIVMSG #channel` from the sender's nick, one line per line of its text (at
 *   most IRC_LINES_MAX, then a NOTICE saying what was left out); a private one is `PRIVMSG nick`.
 *   An action (`/me waves`) is a CTCP ACTION, `\x01ACTION waves\x01`, each line. IRC does not
 *   echo a line to its sender (unless the client asked for echo-message).
 * - Joins are JOIN; logouts and offline marks are QUIT (they left the server); everything else the chat says
 *   (requests, mutes, refusals) is a NOTICE from the service nick `tinychat`, worded for IRC.
 * - A login is the welcome burst: 001-005, the MOTD, the JOIN, the topic and the names.
 * - Errors become the numerics IRC clients know (401, 417, 432, 433, 464, 904), or a NOTICE.
 */
import { foldName } from '../../../common/names.js';
import { PROTOCOL_VERSION, type ServerMessage } from '../../../common/protocol.js';
import { ircLine, textLines, type TextCut } from './parse.js';
import { type Ask, type IrcPeer, HOST, userMask } from './peer.js';
import { receiptPing } from './receipt.js';

/** The server's name in replies (a source without "!" is the server). */
export const SERVER = 'tinychat';
/** The service nick that speaks for the chat (requests, refusals) and takes its commands. */
export const SERVICE = 'tinychat';
export const SERVICE_MASK = `${SERVICE}!service@${HOST}`;
export const SERVICE_KEY = foldName(SERVICE);

/** The channel's topic: read only. */
export const TOPIC = 'Everyone online is here. Private chats: /msg tinychat help';

/** What the server supports, for 005 (RPL_ISUPPORT). */
export function isupport(channel: string): string[] {
  return [
    // Names are compared with Unicode case folding; for the ASCII names clients fold themselves,
    // ascii is exactly that (names cannot hold rfc1459's []\~).
    'CASEMAPPING=ascii',
    'CHANTYPES=#',
    `CHANLIMIT=#:1`,
    `CHANNELLEN=${channel.length}`,
    'CHANMODES=b,,,nt',
    'NICKLEN=32',
    'NETWORK=tinychat',
    'TARGMAX=PRIVMSG:1,NOTICE:1',
    // Every line is UTF-8 (nicks too: names may use any one script).
    'UTF8ONLY',
  ];
}

const MOTD = [
  'Welcome to tinychat over IRC. Native tinychat users and IRC users share one room: {channel}.',
  'Your nick is your account: the password you give (PASS or SASL) logs you in, or registers a new name.',
  'Private chat with consent: /msg tinychat PM <nick>; answer a request with /msg tinychat accept <nick> or reject <nick>.',
  'One private message, without asking: /msg <nick> <text>. /msg tinychat help lists the commands.',
];

/** The service's help, one NOTICE line each. */
export const HELP = [
  'Commands, sent as /msg tinychat <command>:',
  'PM <nick>: ask <nick> for a private chat',
  'ACCEPT <nick>, REJECT <nick>: answer a request (Y or N answers the oldest)',
  'EXIT: leave your private chat',
  'HISTORY [N]: the N channel lines before the oldest you were shown (default 50, at most 200); again for more',
  'Inside a private chat, /msg <partner> <text> talks to your partner; the channel is everyone.',
  'IRC cannot encrypt: your private chats are not end-to-end encrypted (a tinychat user sees them marked so), and files need the tinychat client.',
];

/**
 * The most IRC lines one message is shown as. A chat line may hold 64 KiB: 32,767 lines of "a",
 * or 130 pieces of 500 bytes, each its own PRIVMSG. Rendered in full for every IRC user, again
 * for each history page and each login's replay, such lines stalled the server for everyone and
 * cut IRC users off as slow readers. 15 is more than a chat line usually holds (a pasted snippet,
 * a short list) and less than a screen of an IRC client; one more line says what was left out.
 */
export const IRC_LINES_MAX = 15;

/** What was left out of a message, for the line after its first IRC_LINES_MAX. */
export function cutNote(cut: TextCut): string {
  const n = (count: number) => count.toLocaleString('en-US');
  const lines = (count: number) => `${n(count)} more line${count > 1 ? 's' : ''}`;
  let rest: string;
  // A long rest is told in bytes: its lines are not counted (parse.ts, COUNTED).
  if (cut.lines === null) rest = cut.within ? `the rest of this line and more, ${n(cut.bytes)} bytes,` : `${n(cut.bytes)} more bytes`;
  else if (!cut.within) rest = lines(cut.lines);
  else rest = cut.lines > 1 ? `the rest of this line and ${lines(cut.lines - 1)}` : 'the rest of this line';
  return `[${rest} not shown: IRC shows ${IRC_LINES_MAX} lines of one message; a tinychat client shows it whole]`;
}

/**
 * `text` as lines of `command` from `source` to `target`, at most IRC_LINES_MAX of them; what did
 * not fit is said by the server (a NOTICE, so it is not taken for the sender's words).
 */
function says(source: string, command: string, target: string, text: string, opts: { tags?: string; ctcp?: string } = {}): string[] {
  const tags = opts.tags ?? '';
  const { lines, cut } = textLines(source, command, target, text, { ...opts, max: IRC_LINES_MAX });
  if (cut) lines.push(tags + ircLine(SERVER, 'NOTICE', target, cutNote(cut)));
  return lines;
}

/** The message of the day: 375, 372s, 376. */
export function motd(peer: IrcPeer, channel: string): string[] {
  return [
    numeric(peer, '375', `- ${SERVER} Message of the Day -`),
    ...MOTD.map((l) => numeric(peer, '372', `- ${l.replace('{channel}', channel)}`)),
    numeric(peer, '376', 'End of /MOTD command.'),
  ];
}

/** 351, the answer to VERSION (irssi's /version): the same version as 004 says. */
export function version(peer: IrcPeer): string {
  return numeric(peer, '351', `tinychat-${PROTOCOL_VERSION}`, SERVER, 'tinychat: native clients and IRC in one room');
}

/** The lines for `msg` as `peer` is to see it; `ask` is what a `who` reply answers. */
export function render(msg: ServerMessage, peer: IrcPeer, channel: string, ask?: Ask): string[] {
  switch (msg.type) {
    case 'hello':
      return [];
    case 'login_ok':
      return welcome(msg, peer, channel);
    case 'msg':
      // The last of a batch of offline messages: the PONG to this PING is its receipt.
      return msg.receipt ? [...chatLine(msg, peer, channel), receiptPing(msg.id)] : chatLine(msg, peer, channel);
    case 'notice':
      return notice(msg, peer, channel);
    case 'who':
      return answer(msg, peer, channel, ask);
    case 'error':
      return error(msg, peer);
    case 'bye':
      return [ircLine(null, 'ERROR', msg.message)];
    default:
      return [];
  }
}

/** A numeric reply to `peer`. */
export function numeric(peer: IrcPeer, code: string, ...params: string[]): string {
  return ircLine(SERVER, code, peer.nick, ...params);
}

/** A NOTICE from the service to `peer`, one per line of `text` (it may quote chat text: capped). */
export function fromService(peer: IrcPeer, text: string): string[] {
  return says(SERVICE_MASK, 'NOTICE', peer.nick, text);
}

/**
 * The operator's own words (the MOTD, a wall), every line: bounded where they are made (1,024
 * characters, MAX_OPERATOR_TEXT), and what the operator wrote must not be cut like a flood.
 */
function fromOperator(peer: IrcPeer, text: string): string[] {
  return textLines(SERVICE_MASK, 'NOTICE', peer.nick, text).lines;
}

/** A NOTICE from the server itself (protocol matters, not the chat). */
export function fromServer(peer: IrcPeer, text: string): string[] {
  return says(SERVER, 'NOTICE', peer.nick, text);
}

/** The chat's sentences name the native client's commands; an IRC user has others. */
export function ircWording(text: string): string {
  return text.replace(/\b([Tt])ype EXIT PM\b/g, (_, t: string) => `${t === 'T' ? 'S' : 's'}end /msg tinychat exit`);
}

function welcome(msg: ServerMessage<'login_ok'>, peer: IrcPeer, channel: string): string[] {
  const me = peer.nick;
  const lines = [
    numeric(peer, '001', `Welcome to tinychat, ${me}`),
    numeric(peer, '002', `Your host is ${SERVER}, running tinychat (protocol ${PROTOCOL_VERSION})`),
    numeric(peer, '003', 'This server speaks tinychat and IRC'),
    ircLine(SERVER, '004', me, SERVER, `tinychat-${PROTOCOL_VERSION}`, 'i', 'nt'),
    ircLine(SERVER, '005', me, ...isupport(channel), 'are supported by this server'),
    ...motd(peer, channel),
  ];
  if (msg.created) lines.push(...fromService(peer, `New account ${me} created: the password you gave is its password.`));
  // As the native client says it: a guest who thinks the nick is theirs would find it gone.
  if (msg.guest) lines.push(...fromService(peer, `You are a guest: nothing is kept for guests. To have ${me} as your account, connect with a password (PASS or SASL).`));
  if (msg.resumed) lines.push(...fromService(peer, 'You took back your session: what came for you meanwhile follows.'));
  if (msg.partner) lines.push(...fromService(peer, `You are in a private chat with ${msg.partner}: /msg ${msg.partner} <text> talks to them; /msg tinychat exit leaves.`));
  if (!peer.joined) return lines;
  lines.push(ircLine(userMask(me), 'JOIN', channel), numeric(peer, '332', channel, TOPIC));
  if (msg.online) lines.push(...names(peer, channel, msg.online));
  return lines;
}

function chatLine(msg: ServerMessage<'msg'>, peer: IrcPeer, channel: string): string[] {
  // Said before (history, or kept while you were offline): your own lines are part of it.
  const old = msg.replay === true || msg.offline === true;
  const mine = foldName(msg.from) === peer.key;
  const shown = !mine || old || peer.caps.has('echo-message');
  let target: string;
  if (msg.scope === 'group') {
    if (!peer.joined || !shown) return [];
    target = channel;
  } else {
    target = msg.to ?? peer.nick;
    if (foldName(target) !== peer.key && !(mine && shown)) return [];
  }
  // `/me waves` is IRC's CTCP ACTION, which IRC clients show as "* bob waves".
  const ctcp = msg.action ? { ctcp: 'ACTION' } : {};
  // When it was said, as the client can show it.
  if (old && peer.caps.has('server-time')) {
    return says(userMask(msg.from), 'PRIVMSG', target, msg.text, { tags: `@time=${new Date(msg.ts).toISOString()} `, ...ctcp });
  }
  const text = old ? `[${new Date(msg.ts).toISOString().slice(0, 16).replace('T', ' ')} UTC] ${msg.text}` : msg.text;
  return says(userMask(msg.from), 'PRIVMSG', target, text, ctcp);
}

function notice(msg: ServerMessage<'notice'>, peer: IrcPeer, channel: string): string[] {
  const who = msg.user;
  switch (msg.event) {
    case 'join':
      return who && peer.joined ? [ircLine(userMask(who), 'JOIN', channel)] : [];
    // Whoever logged out or went offline has left the server, not just the channel: QUIT, so a
    // client closes their query window's nick too (a PART left irssi thinking they were still on).
    case 'leave':
    case 'offline':
      return who ? [ircLine(userMask(who), 'QUIT', msg.message)] : [];
    case 'presence':
      return peer.joined ? textLines(SERVER, 'NOTICE', channel, msg.message).lines : [];
    case 'pm_invite':
      if (!who) break;
      return fromService(peer, `${who} wants a private chat with you. Answer /msg tinychat accept ${who} or /msg tinychat reject ${who}`);
    case 'pm_started':
      if (!who) break;
      return fromService(peer, `You are now in a private chat with ${who}: /msg ${who} <text> talks to them; /msg tinychat exit leaves.`);
    // Away, as IRC says it: 306 / 305 for yourself, 301 with the message of someone you wrote to.
    case 'away':
      return who ? [numeric(peer, '301', who, awayMessage(msg.message, who))] : [numeric(peer, '306', 'You have been marked as being away')];
    case 'back':
      return [numeric(peer, '305', 'You are no longer marked as being away')];
    // The sentences around the history name the native /history (and only these: a wall or a
    // quoted line may say "/history" and mean something else).
    case 'motd':
    case 'wall':
      return fromOperator(peer, msg.message);
    case 'live':
    case 'history':
      return fromService(peer, msg.message.replace(/\/history\b/g, '/msg tinychat history'));
    default:
      break;
  }
  return fromService(peer, ircWording(msg.message));
}

/** The away message in "bob is away: gone fishing" (the notice words it for people). */
function awayMessage(sentence: string, who: string): string {
  const prefix = `${who} is away: `;
  return sentence.startsWith(prefix) ? sentence.slice(prefix.length) : sentence;
}

/** A `who` reply, as the answer to what was asked. */
function answer(msg: ServerMessage<'who'>, peer: IrcPeer, channel: string, ask: Ask | undefined): string[] {
  const online = msg.online;
  const find = (nick: string) => {
    const key = foldName(nick);
    return online.find((n) => foldName(n) === key);
  };
  switch (ask?.kind) {
    case 'names':
      return names(peer, channel, online);
    case 'who': {
      const all = ask.mask === channel;
      const found = all ? online : online.filter((n) => foldName(n) === foldName(ask.mask));
      return [
        // H: here; G: gone (away).
        ...found.map((n) => numeric(peer, '352', channel, n, HOST, SERVER, n, msg.away?.includes(n) ? 'G' : 'H', `0 ${n}`)),
        numeric(peer, '315', ask.mask, 'End of /WHO list.'),
      ];
    }
    case 'whois': {
      const n = find(ask.nick);
      if (!n) return [numeric(peer, '401', ask.nick, 'No such nick'), numeric(peer, '318', ask.nick, 'End of /WHOIS list.')];
      // Their message, as the who reply carries it beside the name (a bare "Away" without one).
      const i = msg.away?.indexOf(n) ?? -1;
      const away = i < 0 ? [] : [numeric(peer, '301', n, msg.awayMessages?.[i] ?? 'Away')];
      return [
        numeric(peer, '311', n, n, HOST, '*', n),
        numeric(peer, '319', n, channel),
        numeric(peer, '312', n, SERVER, 'tinychat'),
        ...away,
        numeric(peer, '318', n, 'End of /WHOIS list.'),
      ];
    }
    case 'ison':
      return [numeric(peer, '303', ask.nicks.map(find).filter((n) => n !== undefined).join(' '))];
    case 'userhost': {
      const found = ask.nicks.map(find).filter((n) => n !== undefined);
      return [numeric(peer, '302', found.map((n) => `${n}=${msg.away?.includes(n) ? '-' : '+'}${n}@${HOST}`).join(' '))];
    }
    case 'list':
      return [numeric(peer, '321', 'Channel', 'Users  Name'), numeric(peer, '322', channel, String(msg.count ?? online.length), TOPIC), numeric(peer, '323', 'End of /LIST')];
    default:
      return fromService(peer, `Online (${msg.count ?? online.length}): ${online.join(', ')}`);
  }
}

/** 353 lines (as many as the names need) and 366. */
function names(peer: IrcPeer, channel: string, online: readonly string[]): string[] {
  const start = numeric(peer, '353', '=', channel, '');
  const room = 510 - Buffer.byteLength(start);
  const lines: string[] = [];
  let batch: string[] = [];
  let size = 0;
  for (const n of online) {
    const bytes = Buffer.byteLength(n) + 1;
    if (size + bytes > room && batch.length > 0) {
      lines.push(numeric(peer, '353', '=', channel, batch.join(' ')));
      batch = [];
      size = 0;
    }
    batch.push(n);
    size += bytes;
  }
  if (batch.length > 0) lines.push(numeric(peer, '353', '=', channel, batch.join(' ')));
  lines.push(numeric(peer, '366', channel, 'End of /NAMES list.'));
  return lines;
}

/**
 * Whether a refused login closes the connection: without SASL an IRC client cannot give another
 * password on this connection, so only a nick it can change (in use, invalid) keeps it open. With
 * SASL the client decides (904, then another AUTHENTICATE or CAP END).
 */
export function closesAfter(code: string, via: IrcPeer['via']): boolean {
  if (via === 'sasl') return false;
  return !(code === 'ALREADY_LOGGED_IN' || code === 'NAME_IN_USE' || code === 'BAD_NAME');
}

/**
 * Why a login without a password was refused. After a 433 the client (irssi, WeeChat) picked
 * another nick by itself and showed no 433: the user gave a password, and must be told it was
 * for the nick that is online already.
 */
function guestsDisabled(peer: IrcPeer): string {
  const was = peer.passFor;
  if (was !== null && peer.pass === null) {
    return `${was} is online already and your password was for ${was} only: ${peer.wanted ?? '*'} would be a guest, and guest logins are disabled on this server`;
  }
  return 'Guest logins are disabled on this server: give your password (server password or SASL) to log in, or to register a new nick';
}

/** Why the connection closes after a refused login, when the numeric said the rest. */
const CLOSING: Record<string, string> = { BAD_PASSWORD: 'wrong password', GUESTS_DISABLED: 'guest logins are disabled' };

/** Errors that end the connection whatever the login: said as ERROR, as IRC servers do. */
const FATAL = new Set(['LOGIN_TIMEOUT', 'NOT_A_LOGIN', 'TOO_MANY_CONNECTIONS', 'INTERNAL']);
/** Errors about what the client's line was, not about the chat: from the server itself. */
const PROTOCOL = new Set(['BAD_UTF8', 'BAD_FRAME', 'BAD_FIELD', 'BAD_TEXT', 'UNKNOWN_TYPE']);

function error(msg: ServerMessage<'error'>, peer: IrcPeer): string[] {
  const text = ircWording(msg.message);
  if (FATAL.has(msg.code)) return [ircLine(null, 'ERROR', `Closing link: ${text}`)];
  if (peer.quiet) return [];
  if (msg.code === 'FRAME_TOO_LARGE') return [numeric(peer, '417', text)];
  if (PROTOCOL.has(msg.code)) return fromServer(peer, text);
  if (peer.loggedIn) {
    // The nick the refusal names: lines are handled concurrently, so not always the last one written to.
    // Only a line to the nick is answered 401: a service command's refusal (PM carol) is the
    // service's, where it was asked (irssi shows a 401 in carol's window, as "No such nick").
    if (msg.code === 'NO_SUCH_USER' && (msg.re === undefined || msg.re === 'dm')) return [numeric(peer, '401', msg.user ?? '*', text)];
    return fromService(peer, text);
  }
  // A refused login.
  const wanted = peer.wanted ?? '*';
  let lines: string[];
  if (peer.via === 'sasl') lines = [numeric(peer, '904', `SASL authentication failed: ${text}`)];
  else if (msg.code === 'ALREADY_LOGGED_IN' || msg.code === 'NAME_IN_USE') {
    // The password was for this nick: another one needs PASS again (see translate.ts, refused).
    const pass = peer.via === 'pass' && peer.pass !== null ? ` (your password was for ${wanted} only)` : '';
    lines = [numeric(peer, '433', wanted, `Nickname is already in use: ${text}${pass}`)];
  }
  else if (msg.code === 'BAD_NAME') lines = [numeric(peer, '432', wanted, `Erroneous nickname: ${text}`)];
  else if (msg.code === 'BAD_PASSWORD') lines = [numeric(peer, '464', 'Password incorrect')];
  else if (msg.code === 'GUESTS_DISABLED') lines = [numeric(peer, '464', guestsDisabled(peer))];
  else lines = fromServer(peer, text);
  if (closesAfter(msg.code, peer.via)) lines.push(ircLine(null, 'ERROR', `Closing link: ${CLOSING[msg.code] ?? text}`));
  return lines;
}
