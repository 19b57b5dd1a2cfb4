/**
 * New keys for the session we are in: ours offered after a resume or a restart (`renew`), the
 * partner's answered (`rekeyed`, `replyTo`), and their reply to ours read. A partner whose key
 * changed gets nothing answered and nothing used until /trust.
 */
import { foldName } from '../../common/names.js';
import { BUNDLE_KINDS, type ClientMessage, type ServerMessage } from '../../common/protocol.js';
import type { DisplayLine } from '../format.js';
import { safeLine } from '../format.js';
import { makeBundle, readBundle, sessionKeys, type Bundle, type BundleKind } from './bundle.js';
import { Channel } from './channel.js';
import { changedWarning, type SecureContext } from './context.js';
import type { Live } from './live.js';

/** Our new keys for the session, offered in the pm_rekey returned. */
export function renew(ctx: SecureContext, l: Live, kind: BundleKind): ClientMessage<'pm_rekey'> {
  const { key, pending } = makeBundle(ctx.identity, kind, ctx.me(), l.partner);
  l.renewal = pending;
  if (l.state !== 'waiting') l.state = 'renewing';
  return { type: 'pm_rekey', key };
}

/** The partner's new keys (after their resume or restart), or their reply to ours. */
export function rekeyed(ctx: SecureContext, l: Live | null, m: ServerMessage<'notice'>, from: string): DisplayLine[] {
  const n = safeLine(from);
  if (!l || foldName(l.partner) !== foldName(from) || m.key === undefined) return [];
  const kind = Buffer.from(m.key, 'base64')[0];
  if (kind === BUNDLE_KINDS.rekeyReply) return replied(ctx, l, m.key);
  const theirs = readBundle(m.key, ['rekey', 'restart'], from, ctx.me());
  if ('problem' in theirs) return [ctx.fmt.error(`${n}'s new keys do not check out (${theirs.problem}); ignored`)];
  // Both asked at once: the offer of the name first in order wins, the other answers it.
  if (l.renewal && foldName(ctx.me()) < foldName(from)) return [];
  l.renewal = null;
  const changed = ctx.known.status(from, theirs.identity) === 'changed';
  if (changed) {
    l.state = 'untrusted';
    l.heldRekey = theirs;
    return changedWarning(ctx.fmt, from);
  }
  return replyTo(ctx, l, theirs);
}

/** Answers the partner's rekey (the reply goes out through `outbox`). */
export function replyTo(ctx: SecureContext, l: Live, theirs: Bundle): DisplayLine[] {
  const { key, pending } = makeBundle(ctx.identity, 'rekeyReply', ctx.me(), l.partner, { rid: theirs.rid, ephemeral: theirs.ephemeral });
  const keys = sessionKeys(pending, theirs, l.partner, ctx.me(), false);
  l.channel = l.channel ? l.channel.renewed(keys) : new Channel(keys);
  l.identity = theirs.identity;
  l.state = 'live';
  l.heldRekey = null;
  ctx.outbox.push({ type: 'pm_rekey', key });
  const n = safeLine(l.partner);
  const restarted = theirs.kind === 'restart';
  return [ctx.fmt.info(restarted ? `${n}'s client restarted: a new encrypted session with ${n} has started (lines sent to its old client are lost).` : `${n} reconnected: the session keys were renewed.`)];
}

function replied(ctx: SecureContext, l: Live, key: string): DisplayLine[] {
  const n = safeLine(l.partner);
  if (!l.renewal) return [];
  const theirs = readBundle(key, ['rekeyReply'], l.partner, ctx.me(), l.renewal.eph.publicRaw);
  if ('problem' in theirs || !theirs.rid.equals(l.renewal.rid)) {
    return [ctx.fmt.error(`${n}'s reply to the new keys does not check out (${'problem' in theirs ? theirs.problem : 'another request'}); nothing is sent until it does (EXIT PM to leave)`)];
  }
  const keys = sessionKeys(l.renewal, theirs, ctx.me(), l.partner, true);
  const restarted = l.state === 'waiting';
  const channel = l.channel ? l.channel.renewed(keys) : new Channel(keys);
  l.renewal = null;
  if (ctx.known.status(l.partner, theirs.identity) === 'changed') {
    l.state = 'untrusted';
    l.heldChannel = channel;
    l.identity = theirs.identity;
    return changedWarning(ctx.fmt, l.partner);
  }
  l.channel = channel;
  l.identity = theirs.identity;
  l.state = 'live';
  const lost = l.unreadable > 0 ? ` ${l.unreadable} line${l.unreadable > 1 ? 's' : ''} sent to this client before it restarted could not be read.` : '';
  l.unreadable = 0;
  return restarted ? [ctx.fmt.info(`New encrypted session with ${n}.${lost}`)] : [];
}
