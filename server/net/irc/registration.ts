/**
 * IRC registration: PASS, NICK, USER, CAP (IRCv3 capability negotiation) and AUTHENTICATE (SASL
 * PLAIN). Whichever way the client registers, the login is one `login` message for the dispatcher,
 * sent once the nick, the user and the end of any negotiation are in (or at once with SASL).
 */
import { ChatError } from '../../../common/errors.js';
import { foldName, nameProblem } from '../../../common/names.js';
import type { ClientMessage } from '../../../common/protocol.js';
import { message, reply, type Effect } from './effects.js';
import { ircLine, type IrcMessage } from './parse.js';
import { CAPS, type Cap, type IrcPeer } from './peer.js';
import { SERVER, SERVICE, SERVICE_KEY, closesAfter, numeric } from './render.js';

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
  if (via === 'pass' && (code === 'ALREADY_LOGGED_IN' || code === 'NAME_IN_USE') && peer.pass !== null) {
    peer.passFor = peer.wanted;
    peer.pass = null;
  }
  return [];
}

/** A login without SASL, once NICK and USER are in and no capability negotiation is under way. */
function maybeLogin(peer: IrcPeer): Effect[] {
  if (peer.loggedIn || peer.negotiating || peer.wanted === null || !peer.userGiven) return [];
  return login(peer, peer.wanted, peer.pass ?? '', 'pass');
}

function login(peer: IrcPeer, user: string, password: string, via: 'pass' | 'sasl'): Effect[] {
  // Every IRC client answers PING with its token: the receipt of offline messages (receipt.ts).
  const msg = message('login', { user, password, features: ['receipts'] });
  if (!(msg instanceof ChatError)) return [{ do: 'login', msg: msg as ClientMessage<'login'>, via }];
  if (via === 'sasl') return [reply(numeric(peer, '904', `SASL authentication failed: ${msg.message}`))];
  return [reply(ircLine(null, 'ERROR', `Closing link: ${msg.message}`)), { do: 'close', reason: `login refused (${msg.code})` }];
}

/** NICK nick: before login, the name to log in as (the product's name rules); after, fixed. */
export function nick(peer: IrcPeer, msg: IrcMessage): Effect[] {
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
 * PASS password: the password for a login without SASL. After a SASL login it may still come,
 * once, as USER may (irssi with both set sends PASS, NICK and USER after CAP END): not a
 * re-registration, so not 462.
 */
export function pass(peer: IrcPeer, msg: IrcMessage): Effect[] {
  if (peer.loggedIn) return peer.userGiven ? [reply(numeric(peer, '462', 'You may not reregister'))] : [];
  peer.pass = msg.params[0]!;
  return [];
}

/**
 * USER name mode * :realname: part of registration (its contents are not used: the nick is the
 * account). After a SASL login it may still come, once (irssi sends NICK and USER after CAP END).
 */
export function user(peer: IrcPeer): Effect[] {
  if (peer.loggedIn && peer.userGiven) return [reply(numeric(peer, '462', 'You may not reregister'))];
  const first = !peer.userGiven;
  peer.userGiven = true;
  return first ? maybeLogin(peer) : [];
}

/** CAP LS [302] | LIST | REQ :caps | END: IRCv3 capability negotiation; registration waits for END. */
export function cap(peer: IrcPeer, msg: IrcMessage): Effect[] {
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
export function authenticate(peer: IrcPeer, msg: IrcMessage): Effect[] {
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
