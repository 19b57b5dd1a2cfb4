/**
 * The one way out of the chat state. Everything the room tells anyone (a line, a notice, a reply,
 * a goodbye) leaves through an Outbox, addressed to a user by their case-folded name or to the
 * whole room, as a typed message. The room never sees a socket, a codec or a byte.
 *
 * Implementations: `server/net/delivery.ts` maps users to their connections, encodes once per
 * wire format and shares the bytes; the specs' recorder (spec/support/recorder.ts) keeps what was
 * sent; a cluster would publish to the other nodes. History, metrics and other protocols plug in
 * here, not into the chat rules.
 */
import type { ServerMessage } from '../../common/protocol.js';

/**
 * Where a user is connected from, as the chat state sees it: only what it logs. The transport's
 * connection is an Endpoint; the room passes it back to the outbox without looking inside.
 */
export interface Endpoint {
  /** "address:port", for log lines. */
  readonly label: string;
  /** The remote address (limits and throttles count per address). */
  readonly address: string;
}

export interface Outbox<E extends Endpoint = Endpoint> {
  /**
   * From now on `user` is reached at `at`. `first` goes out before anything else, then what was
   * kept for the user while they had no connection (a resume's backlog). A connection still bound
   * to `user` must have been ended first (see `end`).
   */
  attach(user: string, at: E, first: ServerMessage): void;
  /** One message to one user; kept for a resume while they are disconnected. */
  toUser(user: string, msg: ServerMessage): void;
  /** One message to a few users (a private line and the sender's copy), encoded once. */
  toUsers(users: readonly string[], msg: ServerMessage): void;
  /** One message to everyone in the room, encoded once, except `except` (a folded name). */
  toRoom(msg: ServerMessage, except?: string): void;
  /**
   * Whatever `user` had is over: `bye` (if any) goes out after what is already queued, then their
   * connection closes and anything kept for them is dropped. Unknown users are ignored.
   */
  end(user: string, bye?: ServerMessage<'bye'>): void;
  /**
   * Calls `then(true)` once what was sent to `user` so far has been taken by their transport (it
   * no longer waits in the server), or `then(false)` if their connection is lost first. A reply
   * bigger than one batch (a login's offline messages, a catch-up) sends its next batch then, so
   * what the server chose to send never piles up and counts against the reader. A user reached
   * through another server of a cluster: true at once (that server paces its own).
   */
  drained(user: string, then: (open: boolean) => void): void;
}
