/**
 * Lines inside an encrypted session: the partner's opened (and held while their key is not
 * trusted), our own matched as the server echoes them back, and a typed line sealed, or not sent
 * at all while the keys are not settled.
 */
import { foldName } from '../../common/names.js';
import type { ClientMessage, ServerMessage } from '../../common/protocol.js';
import type { DisplayLine } from '../format.js';
import { safeLine } from '../format.js';
import { Channel } from './channel.js';
import type { SecureContext, SecureOut } from './context.js';
import type { Live } from './live.js';

/** Lines from a partner whose key changed are kept until /trust, at most this many. */
const MAX_HELD = 100;

/** A sealed line from the server: the partner's, or our own echoed. */
export function openLine(ctx: SecureContext, l: Live | null, m: ServerMessage<'msg'>): SecureOut {
  const { fmt } = ctx;
  const me = foldName(ctx.me());
  const n = safeLine(m.from);
  if (!l?.channel || (foldName(m.from) !== foldName(l.partner) && foldName(m.from) !== me)) {
    if (l && l.state === 'waiting') {
      l.unreadable++;
      return { lines: [], pass: null };
    }
    return { lines: [fmt.error(`an encrypted line from ${n} could not be read: no encrypted chat with ${n}`)], pass: null };
  }
  if (foldName(m.from) === me) {
    const mine = l.channel.echoed(m.text);
    if (!mine) return { lines: [fmt.error('the server echoed an encrypted line as yours that this client did not send; not shown')], pass: null };
    return { lines: [], pass: { ...m, text: mine.text, ...(mine.action ? { action: true } : {}) } };
  }
  const opened = l.channel.open(m.text);
  if (!opened.ok) return { lines: [fmt.error(`an encrypted line from ${n} was refused: ${opened.why}`)], pass: null };
  const lines = opened.skipped > 0 ? [fmt.error(`${opened.skipped} encrypted line${opened.skipped > 1 ? 's' : ''} from ${n} did not arrive (lost, or withheld by the server)`)] : [];
  const line: ServerMessage = { ...m, text: opened.text, ...(opened.action ? { action: true } : {}) };
  if (l.state === 'untrusted') {
    if (l.held.length < MAX_HELD) l.held.push(line);
    return { lines, pass: null };
  }
  return { lines, pass: line };
}

/** A line typed to the partner of an encrypted session: sealed, or not sent and why. */
export function sealLine(ctx: SecureContext, l: Live, m: ClientMessage<'say'>, maxBody: number | undefined): { send: ClientMessage } | { lines: DisplayLine[] } {
  const { fmt } = ctx;
  const n = safeLine(l.partner);
  if (l.state === 'untrusted') return { lines: [fmt.notDelivered(m.text, `${n}'s key changed; compare /verify, then /trust ${n}, or EXIT PM`)] };
  if (l.state !== 'live' || !l.channel) return { lines: [fmt.notDelivered(m.text, `waiting for new keys from ${n}'s client`)] };
  // Measured before sealing: a sealed line not sent would still use up a counter, and the
  // partner would be told a line of theirs never arrived.
  const size = Channel.sealedLength(m.text);
  if (maxBody !== undefined && size > maxBody) {
    return { lines: [fmt.error(`message too long once encrypted: ${size.toLocaleString('en-US')} bytes, the limit is ${maxBody.toLocaleString('en-US')}; not sent`)] };
  }
  return { send: { type: 'say', text: l.channel.seal(m.text, m.action === true), sealed: true } };
}
