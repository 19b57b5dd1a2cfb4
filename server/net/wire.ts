/**
 * A wire format: how a typed server message becomes bytes for one kind of client. Delivery
 * encodes a message once per wire format among its recipients and shares the bytes. Two exist:
 * tinychat's own frames, and IRC (server/net/irc/), fed by the same outbox.
 *
 * Some formats need to know who a message is for: an IRC numeric starts with the recipient's
 * nick, and IRC does not echo a line to its sender. Each connection keeps what its wire needs to
 * know about its user (its Peer); Delivery hands it back with every message. A wire says, per
 * message and recipient, whether that recipient gets the bytes shared by everyone on the wire
 * (`shares`), so a broadcast still costs one encoding.
 */
import { encodeMessage } from '../../common/codec.js';
import type { ServerMessage } from '../../common/protocol.js';

/** What a wire format keeps about one recipient (IRC: their nick, what they asked for); null: nothing. */
export type Peer = object | null;

export interface Wire {
  readonly name: string;
  /** The bytes of `msg` for the recipient `to` (possibly none: IRC does not echo a line to its sender). */
  encode(msg: ServerMessage, to: Peer): Buffer;
  /**
   * Whether `to` gets the same bytes as every other recipient of `msg` for whom this is true, so
   * Delivery may encode once and share. False: `encode(msg, to)` is called for `to` alone.
   */
  shares(msg: ServerMessage, to: Peer): boolean;
}

/** tinychat's own frames (common/codec.ts): the same bytes for everyone. */
export const NATIVE: Wire = { name: 'tinychat', encode: (msg) => encodeMessage(msg), shares: () => true };
