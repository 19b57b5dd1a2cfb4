/**
 * The file requests the server has not answered yet, oldest first: offers sent (their `offered`
 * to come) and yeses sent (their `accepted` to come), so that a refusal (an `error` frame) is
 * matched to the request it refuses: the one it names (its `id`, and `from` for a yes), or else,
 * from a server that names none, the oldest. Its own file because both halves of the transfers
 * add to it and one refusal may answer either kind.
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
  // An offer counts toward the flood limit; an answer does not.
  MUTED: ['offer'],
};

const same = (ask: Ask) => (a: Ask) => ('offer' in ask ? 'offer' in a && a.offer === ask.offer : 'yes' in a && a.yes === ask.yes);

export class Asked {
  /**
   * From an older server (transfers.ts passes an unnamed error on only then), an error that names
   * no request is about the oldest: the server answers a connection's messages in order but for
   * FILE_WAITING, which refuses a request at once while older ones wait (and names it). FILE_BUSY
   * to "you" may answer either kind.
   */
  private readonly list: Ask[] = [];

  add(ask: Ask): void {
    this.list.push(ask);
  }

  /** `ask` has its answer (or will never have one). */
  answered(ask: Ask): void {
    const i = this.list.findIndex(same(ask));
    if (i >= 0) this.list.splice(i, 1);
  }

  /**
   * The ask an error with `code` refuses, taken off the list: `named`, the one the error names,
   * or the oldest when it names none. Null if it refuses none.
   */
  refused(code: ErrorCode, named: Ask | null): Ask | null {
    const i = named ? this.list.findIndex(same(named)) : 0;
    const ask = this.list[i]; // undefined for -1: a request not ours, or answered already
    // Only an error that can answer that ask: FILE_NO_SUCH, say, may answer a /cancel.
    if (!ask || !(REFUSES[code] ?? []).includes('offer' in ask ? 'offer' : 'yes')) return null;
    this.list.splice(i, 1);
    return ask;
  }

  /** The connection was lost: no answer will come. */
  clear(): void {
    this.list.length = 0;
  }
}
