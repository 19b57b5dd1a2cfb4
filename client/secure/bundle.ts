/**
 * The handshake of an encrypted private session: signed key bundles, and the keys both sides
 * derive from them.
 *
 * A bundle (KEY_BUNDLE_BYTES, base64 on the wire) is
 *
 *   kind (1) | identity key, Ed25519 (32) | ephemeral key, X25519 (32) | request id (16) | signature (64)
 *
 * signed by the identity key over: "tinychat-e2e/1", the kind, the request id, the ephemeral and
 * identity keys, the sender's and the recipient's names (case-folded), and, in an answer or a
 * rekey reply, the ephemeral key it answers. So a bundle cannot be passed off as from someone
 * else, to someone else, for another request, or as the answer to another offer; the server,
 * which relays bundles, can only withhold them, or replace the keys in them with its own, which
 * the pinned identity keys and the safety number (safety.ts) show.
 *
 * Keys: X25519 of the two ephemeral keys, then HKDF-SHA256 with both ephemeral keys as salt and
 * an info binding the version, both names (initiator first) and the request id: 64 bytes, one
 * 32-byte key per direction. Fresh ephemeral keys make every session (and every rekey) a new pair
 * of keys, and the private halves are dropped once the keys are made.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { foldName } from '../../common/names.js';
import { BUNDLE_KINDS, KEY_BUNDLE_BYTES } from '../../common/protocol.js';
import { KEY_BYTES, hkdf, lp, newEphemeral, signEd25519, verifyEd25519, x25519, type Ephemeral } from './crypto.js';

export type BundleKind = keyof typeof BUNDLE_KINDS;

/** The version of this handshake, bound into every signature and every key. */
const DOMAIN = Buffer.from('tinychat-e2e/1', 'ascii');
export const RID_BYTES = 16;

/** Who signs bundles: an identity (identity.ts). */
export interface Signer {
  readonly publicRaw: Buffer;
  readonly privateKey: KeyObject;
}

export interface Bundle {
  readonly kind: BundleKind;
  readonly identity: Buffer;
  readonly ephemeral: Buffer;
  readonly rid: Buffer;
}

/** One side of a handshake in progress: our ephemeral key (its private half dies with this). */
export interface Pending {
  readonly eph: Ephemeral;
  readonly rid: Buffer;
}

/** What the signature covers. `answers`: the ephemeral key being answered, if any. */
function signed(kind: BundleKind, identity: Buffer, ephemeral: Buffer, rid: Buffer, from: string, to: string, answers?: Buffer): Buffer {
  return Buffer.concat([
    DOMAIN, Buffer.from([0, BUNDLE_KINDS[kind]]), rid, ephemeral, identity,
    lp(foldName(from)), lp(foldName(to)), answers ?? Buffer.alloc(0),
  ]);
}

/**
 * A new bundle of `kind` from `from` to `to`, with a fresh ephemeral key; `rid` is the request's
 * id (a new random one unless answering), `answers` the ephemeral key answered.
 */
export function makeBundle(
  signer: Signer,
  kind: BundleKind,
  from: string,
  to: string,
  answering?: { rid: Buffer; ephemeral: Buffer },
): { key: string; pending: Pending } {
  const eph = newEphemeral();
  const rid = answering?.rid ?? randomBytes(RID_BYTES);
  const signature = signEd25519(signer.privateKey, signed(kind, signer.publicRaw, eph.publicRaw, rid, from, to, answering?.ephemeral));
  const bytes = Buffer.concat([Buffer.from([BUNDLE_KINDS[kind]]), signer.publicRaw, eph.publicRaw, rid, signature]);
  return { key: bytes.toString('base64'), pending: { eph, rid } };
}

/**
 * Reads and checks a bundle from `from` to `to`: of one of `kinds`, signed by the identity key it
 * carries, and (`answers`) answering our ephemeral key. The bundle, or why it is refused.
 */
export function readBundle(key: string, kinds: readonly BundleKind[], from: string, to: string, answers?: Buffer): Bundle | { problem: string } {
  const bytes = Buffer.from(key, 'base64');
  if (bytes.length !== KEY_BUNDLE_BYTES) return { problem: 'it is not a key bundle' };
  const kind = (Object.keys(BUNDLE_KINDS) as BundleKind[]).find((k) => BUNDLE_KINDS[k] === bytes[0]);
  if (kind === undefined || !kinds.includes(kind)) return { problem: `it is not a ${kinds.join(' or ')} key` };
  let at = 1;
  const take = (n: number) => bytes.subarray(at, (at += n));
  const identity = take(KEY_BYTES);
  const ephemeral = take(KEY_BYTES);
  const rid = take(RID_BYTES);
  const signature = take(64);
  if (!verifyEd25519(identity, signed(kind, identity, ephemeral, rid, from, to, answers), signature)) {
    return { problem: 'its signature does not check out (altered, or not meant for this chat)' };
  }
  return { kind, identity: Buffer.from(identity), ephemeral: Buffer.from(ephemeral), rid: Buffer.from(rid) };
}

/** The two keys of one session: what we seal with, and what we open with. */
export interface SessionKeys {
  readonly send: Buffer;
  readonly receive: Buffer;
}

/**
 * The session keys, from our pending half and the peer's bundle. `initiator` asked (offer,
 * rekey, restart), `responder` answered; `weInitiated` says which we are.
 */
export function sessionKeys(ours: Pending, theirs: Bundle, initiator: string, responder: string, weInitiated: boolean): SessionKeys {
  const shared = x25519(ours.eph.privateKey, theirs.ephemeral);
  const [ephI, ephR] = weInitiated ? [ours.eph.publicRaw, theirs.ephemeral] : [theirs.ephemeral, ours.eph.publicRaw];
  const info = Buffer.concat([DOMAIN, Buffer.from(' session\0'), lp(foldName(initiator)), lp(foldName(responder)), ours.rid]);
  const okm = hkdf(shared, Buffer.concat([ephI, ephR]), info, 2 * KEY_BYTES);
  const iToR = Buffer.from(okm.subarray(0, KEY_BYTES));
  const rToI = Buffer.from(okm.subarray(KEY_BYTES));
  shared.fill(0);
  okm.fill(0);
  return weInitiated ? { send: iToR, receive: rToI } : { send: rToI, receive: iToR };
}

/**
 * The key of one file transfer, from the sender's direction key and the transfer's id: every
 * transfer has a key of its own, so its records count from 0 without ever meeting a line's nonce.
 */
export function fileKey(directionKey: Buffer, id: string): Buffer {
  return hkdf(directionKey, Buffer.alloc(0), Buffer.concat([DOMAIN, Buffer.from(' file\0'), lp(id)]), KEY_BYTES);
}
