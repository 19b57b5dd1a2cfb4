/**
 * The file requests the server has not answered yet, oldest first: offers sent (their `offered`
 * to come) and yeses sent (their `accepted` to come), so that a refusal (an `error` frame) is
 * matched to the request it refuses. Its own file because both halves of the transfers add to it
 * and one refusal may answer either kind.
 */
import type { ErrorCode } from '../../common/errors.js';

/** An offer we sent (by id), or a yes we sent (by the offer's key). */
export type Ask = { offer: string } | { yes: string };

/** Errors that refuse a file offer or a yes, and which of the two each can refuse. */
const REFUSES: Partial<Record<ErrorCode, readonly ('offer' | 'yes')[]>> = {
  NO_SUCH_USER: ['offer'],
  FILE_SELF: ['offer'],
  FILES_UNSUPPORTED: ['offer'],
  FILE_ELSEWHERE: ['offer'],
  FILE_BAD_OFFER: ['offer'],
  FILE_TOO_BIG: ['offer'],
  FILE_ID_TAKEN: ['offer'],
  FILE_OFFER_PENDING: ['offer'],
  FILE_OFFERS_FULL: ['offer'],
  FILE_BUSY: ['offer', 'yes'],
  FILE_WAITING: ['offer', 'yes'],
};

export class Asked {
  /**
   * The server answers a connection's messages in order, so a file error is about the oldest;
   * FILE_BUSY to "you" may answer either.
   */
  private readonly list: Ask[] = [];

  add(ask: Ask): void {
    this.list.push(ask);
  }

  /** `ask` has its answer (or will never have one). */
  answered(ask: Ask): void {
    const i = this.list.findIndex((a) => ('offer' in ask ? 'offer' in a && a.offer === ask.offer : 'yes' in a && a.yes === ask.yes));
    if (i >= 0) this.list.splice(i, 1);
  }

  /** The ask an error with `code` refuses, taken off the list; null if it refuses none. */
  refused(code: ErrorCode): Ask | null {
    const ask = this.list[0];
    // Only an error that can answer the oldest ask: FILE_NO_SUCH, say, may answer a /cancel.
    if (!ask || !(REFUSES[code] ?? []).includes('offer' in ask ? 'offer' : 'yes')) return null;
    this.list.shift();
    return ask;
  }

  /** The connection was lost: no answer will come. */
  clear(): void {
    this.list.length = 0;
  }
}
