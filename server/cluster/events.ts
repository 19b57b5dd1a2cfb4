/**
 * What the servers of a cluster tell each other, in the one ordered log they share (a Redis
 * stream): every change to the chat, as asked for on one server, which every server then applies
 * to its own copy of the room in the log's order. Each event names the server life it came from
 * (`o`, an incarnation: a server restarted is a new one) and, when that server waits for the
 * outcome, a reference (`r`) to match it with.
 *
 * A session is named by its folded name and its serial (`s`: the log id of its login), so an
 * event meant for a session that has ended meanwhile never lands on a newer one with the name.
 */
import type { Feature } from '../../common/protocol.js';
import type { EndReason } from '../chat/farewell.js';
import { freshCredentials, type Credentials } from '../chat/session.js';

/** A login's or resume's credentials: session id, MAC key (base64), resume token. */
export type Creds = [id: string, secret: string, token: string];

/** New credentials for a login or a resume that takes a session over, as an event carries them. */
export const freshCreds = (): Creds => {
  const c = freshCredentials();
  return [c.id, c.secret.toString('base64'), c.token];
};

/** The credentials an event carries, as the room takes them. */
export const credentials = ([id, secret, token]: Creds): Credentials => ({ id, secret: Buffer.from(secret, 'base64'), token });

export type ClusterEvent =
  /** A server joined (or rejoined with a new life): `node` is its name for people. */
  | { t: 'hello'; node: string }
  /** The server life `inc` is over (its lease ran out, or it stopped): its users are offline. */
  | { t: 'gone'; inc: string; why: 'lease' | 'stopped' }
  | { t: 'login'; name: string; guest: boolean; created: boolean; address: string; wire: string; cred: Creds; since?: number; feat?: Feature[] }
  /**
   * `cred` when a new client took the session over with its password; else `tok`, the new resume
   * token, and `was`, the one the client showed (refused if a resume applied before spent it).
   */
  | { t: 'resume'; user: string; s: string; address: string; wire: string; cred?: Creds; tok?: string; was?: string; feat?: Feature[] }
  /** The connection that `att` (the log id of the login or resume) attached went away. */
  | { t: 'lost'; user: string; att: string; why: string }
  | { t: 'end'; user: string; s: string; reason: EndReason; why?: string }
  /** `sealed`: a line of an encrypted private session (ciphertext the servers cannot read). */
  | { t: 'say'; user: string; s: string; text: string; group?: boolean; action?: boolean; sealed?: boolean; lim?: boolean }
  | { t: 'dm'; user: string; s: string; to: string; text: string; action?: boolean; lim?: boolean }
  | { t: 'leave'; user: string; s: string; to: string; text: string; action?: boolean; lim?: boolean }
  | { t: 'away'; user: string; s: string; text: string }
  | { t: 'back'; user: string; s: string }
  /** `key`: an encrypted private session's signed key offer (and answer), relayed as it came. */
  | { t: 'pm'; user: string; s: string; target: string; key?: string; lim?: boolean }
  | { t: 'pmans'; user: string; s: string; from?: string; accept: boolean; typed?: string; key?: string }
  /** New keys for an encrypted private session, for the partner. */
  | { t: 'rekey'; user: string; s: string; key: string; lim?: boolean }
  | { t: 'pmexit'; user: string; s: string }
  /** A /history page: counted where applied (`lim`), sent by the server that asked. */
  | { t: 'history'; user: string; s: string; before?: number; count: number; lim?: boolean }
  /**
   * A message of `user`'s that counts toward the flood limit but asked the log for nothing it
   * counts (a file offer, a request refused before it was asked): counted on every copy.
   */
  | { t: 'count'; user: string; s: string }
  /** `user`'s server handed them their kept messages up to id `upTo`: every copy drops those. */
  | { t: 'taken'; user: string; upTo: number }
  /** The message `id` kept for `user` could not be stored in Redis, and its sender was told so: every copy drops it. */
  | { t: 'unkept'; user: string; id: number }
  | { t: 'expire'; from: string; to: string; at: number }
  | { t: 'wall'; text: string }
  | { t: 'mute'; user: string; seconds: number }
  /** The login throttle's news, shared so it holds per address and account across servers. */
  | { t: 'gate'; op: 'fail' | 'ok' | 'revealed' | 'registered'; account: string; address: string }
  /** An account was created (it is in Redis already): every server's copy of the accounts learns it. */
  | { t: 'account'; name: string; hash: string; created: string };

export type Envelope = ClusterEvent & { o: string; r?: number };

/** The stream entry's one field. */
export const FIELD = 'e';

export function encodeEvent(e: Envelope): string {
  return JSON.stringify(e);
}

/** An entry as read back; null for one that is not an event of ours (logged and skipped). */
export function decodeEvent(text: string): Envelope | null {
  try {
    const v = JSON.parse(text) as Partial<Envelope>;
    return v && typeof v === 'object' && typeof v.t === 'string' && typeof v.o === 'string' ? (v as Envelope) : null;
  } catch {
    return null;
  }
}

/** The millisecond in a stream id ("1700000000000-3"). */
export function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** Whether stream id `a` comes after `b`. */
export function idAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am > bm || (am === bm && as > bs);
}
