/**
 * A file transfer between users of two servers of a cluster has two halves, one on each user's
 * server: the sender's server holds the sender to the rules (places, rate, window, order), the
 * receiver's server holds the receiver to theirs (offers waiting, places, acknowledgements) and
 * each tells its own user. The halves speak in PeerSteps, point to point; the chat rules stay
 * here, the transport is the cluster's (server/cluster/file-relay.ts).
 *
 * Steps may be lost (the transport is fire-and-forget): a half that hears nothing ends as a
 * transfer without progress does, and a step about a transfer a half no longer has is answered
 * with its end, so the other half ends too.
 */
import type { ErrorCode } from '../../common/errors.js';
import type { TransferFailure } from '../../common/protocol.js';
import type { Endpoint } from './outbox.js';
import type { Session } from './session.js';

/** What one half tells the other; the transfer is named by its sender's folded name and its id. */
export type PeerStep =
  /** To the receiver's server: the offer, for it to judge against the receiver's limits. */
  | { k: 'offer'; size: number; name?: string; sha256?: string; meta?: string }
  /** To the sender's server: the receiver's server took the offer (no code) or refused it. */
  | { k: 'verdict'; code?: ErrorCode; message?: string }
  | { k: 'answer'; accept: boolean }
  | { k: 'chunk'; seq: number; data: Buffer; sealed: boolean }
  | { k: 'ack'; seq: number }
  | { k: 'done'; ok: boolean }
  | { k: 'cancel'; by: string }
  /** The transfer ended on the other half: failed (`blamed`: whose fault, by name), or expired. */
  | { k: 'end'; reason: TransferFailure | 'expired'; blamed?: string };

export type PeerMessage = PeerStep & {
  /** The sender's folded name and the transfer's id: the transfer's name on both halves. */
  from: string;
  id: string;
  /** The receiver's folded name (for the offer; the rest are found by the sender and id). */
  to: string;
};

/** The other servers of a cluster, as transfers need them. */
export interface FilePeers<E extends Endpoint> {
  /** The server (its life, as the cluster names it) `s` is connected to; null when it is this one. */
  serverOf(s: Session<E>): string | null;
  /**
   * Sends `msg` to `server`; false when it cannot go now (the cluster is unreachable, or this
   * server already holds as many bytes on their way as it allows). A step that goes and is then
   * lost comes back through the sink's `undelivered`.
   */
  send(server: string, msg: PeerMessage): boolean;
}

/** Where the transport hands what arrives: the transfers of this server. */
export interface PeerSink {
  /** A step from the half on `server`. */
  fromPeer(server: string, msg: PeerMessage): void;
  /** A step this server sent to `server` did not get there (nobody listens there, or Redis failed). */
  undelivered(server: string, msg: PeerMessage): void;
  /**
   * This server stopped hearing the others for a while (its listening connection dropped): what
   * they sent meanwhile is lost, with nothing to say so, so every transfer with a half elsewhere
   * ends now rather than when it stalls.
   */
  deaf(): void;
}

/** One server, no cluster: everyone is here. */
export const NO_PEERS: FilePeers<Endpoint> = {
  serverOf: () => null,
  send: () => false,
};
