/**
 * A wire format: how a typed server message becomes bytes for one kind of client. Delivery
 * encodes a message once per wire format among its recipients and shares the bytes. The native
 * framed protocol is the only one today; another protocol (IRC, say) is another Wire, fed by the
 * same outbox.
 */
import { encodeMessage } from '../../common/codec.js';
import type { ServerMessage } from '../../common/protocol.js';

export interface Wire {
  readonly name: string;
  encode(msg: ServerMessage): Buffer;
}

/** tinychat's own frames (common/codec.ts). */
export const NATIVE: Wire = { name: 'tinychat', encode: encodeMessage };
