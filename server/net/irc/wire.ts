/**
 * IRC as a Wire (see ../wire.ts): Delivery encodes the chat's messages for IRC users through it.
 * The lines come from render.ts; this adds the bytes, what is shared, and the little the wire
 * must note about its recipient as it renders (the name a login gave them, which question a
 * `who` answers, the last error, for the answer to a refused login, the oldest group line
 * shown).
 *
 * Shared: a group line reaches every IRC user with the same bytes, except its sender (IRC does
 * not echo it) and anyone who closed the channel window; so do joins, leaves and offline marks.
 * Numerics and notices carry the recipient's nick, so they are rendered for each.
 */
import { foldName } from '../../../common/names.js';
import type { ServerMessage } from '../../../common/protocol.js';
import type { Peer, Wire } from '../wire.js';
import { IrcPeer } from './peer.js';
import { render } from './render.js';

export class IrcWire implements Wire {
  readonly name = 'irc';
  /** The sender of the last group line asked about, folded once for all its recipients. */
  private lastMsg: ServerMessage | null = null;
  private lastFrom = '';

  constructor(readonly channel: string) {}

  encode(msg: ServerMessage, to: Peer): Buffer {
    const peer = asPeer(to);
    if (msg.type === 'login_ok') {
      peer.welcome(msg.user);
      // Too many to list in login_ok: the connection asks for the names after the welcome.
      peer.namesWanted = msg.online === undefined;
    }
    if (msg.type === 'error') peer.lastError = msg.code;
    peer.saw(msg);
    const ask = msg.type === 'who' ? peer.asked.shift() : undefined;
    return bytes(render(msg, peer, this.channel, ask));
  }

  shares(msg: ServerMessage, to: Peer): boolean {
    const peer = asPeer(to);
    // Asked once for each recipient, also of the lines whose bytes are shared (never encoded for it).
    peer.saw(msg);
    if (msg.type === 'notice') {
      if (msg.event === 'offline') return true;
      return (msg.event === 'join' || msg.event === 'leave' || msg.event === 'presence') && peer.joined;
    }
    if (msg.type !== 'msg' || msg.scope !== 'group' || msg.replay || msg.offline || !peer.joined) return false;
    if (msg !== this.lastMsg) {
      this.lastMsg = msg;
      this.lastFrom = foldName(msg.from);
    }
    return peer.key !== this.lastFrom;
  }
}

/** Lines as bytes, each ended by CR LF. */
export function bytes(lines: readonly string[]): Buffer {
  return lines.length === 0 ? EMPTY : Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

const EMPTY = Buffer.alloc(0);

function asPeer(to: Peer): IrcPeer {
  if (!(to instanceof IrcPeer)) throw new TypeError('the IRC wire needs the IRC peer of its recipient');
  return to;
}
