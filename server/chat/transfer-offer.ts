/**
 * What a file offer must be for this server to pass it on, judged on the sender's server for one
 * server and on the receiver's for a cluster (see transfers.ts), and how it describes the file.
 */
import { chatError } from '../../common/errors.js';
import type { Endpoint } from './outbox.js';
import type { Session } from './session.js';

/** An offer as the rules read it, from a client or from the sender's server. */
export interface OfferTerms {
  size: number;
  name?: string;
  sha256?: string;
  meta?: string;
}

/** The offer's description: its name and digest in the open, or sealed. */
export type Description = { name: string; sha256: string } | { meta: string };

export const described = (msg: OfferTerms): Description =>
  msg.meta === undefined ? { name: msg.name!, sha256: msg.sha256! } : { meta: msg.meta };

/** Refuses an offer `to` cannot take, or a server relaying at most `maxFile` bytes does not relay. */
export function acceptable<E extends Endpoint>(to: Session<E>, msg: OfferTerms, maxFile: number): void {
  if (!to.features.has('files')) throw chatError('FILES_UNSUPPORTED', to.name);
  if (maxFile === 0) throw chatError('FILE_BAD_OFFER', 'this server relays no files');
  if (msg.size > maxFile) throw chatError('FILE_TOO_BIG', msg.size, maxFile);
  if (msg.size < 0) throw chatError('FILE_BAD_OFFER', `size ${msg.size} is no size: give the file's length in bytes`);
  if (msg.size === 0) throw chatError('FILE_BAD_OFFER', 'an empty file is not sent');
  const open = msg.name !== undefined && msg.sha256 !== undefined;
  if (open === (msg.meta !== undefined) || (!open && (msg.name !== undefined || msg.sha256 !== undefined))) {
    throw chatError('FILE_BAD_OFFER', 'give the name and sha256, or the sealed meta, not both');
  }
}
