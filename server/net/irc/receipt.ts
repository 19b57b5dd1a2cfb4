/**
 * The receipt of a batch of offline messages, over IRC. IRC has no message for it, but every IRC
 * client answers PING with a PONG that carries the same token, after the lines before the PING:
 * so after the last message of a batch the gateway sends `PING receipt-<id>`, and the PONG that
 * echoes it is the native client's `received <id>` (the `receipts` feature every IRC login has).
 */
import { ircLine } from './parse.js';

const PREFIX = 'receipt-';
const TOKEN = /^receipt-(\d{1,15})$/;

/** The PING that asks for the receipt of the batch ending at `id`. */
export function receiptPing(id: number): string {
  return ircLine(null, 'PING', `${PREFIX}${id}`);
}

/** The id a PONG's token confirms (its last parameter), or null: the keepalive's, or anything else. */
export function receiptOf(token: string | undefined): number | null {
  const m = token === undefined ? null : TOKEN.exec(token);
  return m ? Number(m[1]) : null;
}
