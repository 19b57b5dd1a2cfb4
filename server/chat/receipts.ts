/**
 * Receipts for offline messages. TCP only says that the kernel took the bytes, not that they
 * arrived: a connection that dies right after loses what its socket held. So a client that says
 * it sends receipts (the `receipts` feature) has the last message of each batch marked `receipt`
 * and answers `received` with its id once the batch has arrived; only then are the messages
 * deleted and the next batch sent. A connection lost (or taken over) before the receipt leaves the
 * batch kept, for the next login or resume: at least once, never lost.
 *
 * A receipt is waited for at most `waitMs` from the batch's sending. A client that says it sends
 * receipts and never does (or one whose receipt is that slow) would otherwise hold the rest of its
 * login, the lines replayed, for as long as it stays connected. Past it the delivery is told
 * `overdue` and ends with the batch kept: it comes again at the next login. A receipt that comes
 * later still counts (`late`): the client did confirm, so the batch may go.
 *
 * One batch in flight per user (the Pacer runs one job at a time), so this holds at most one entry
 * per user with a delivery under way or overdue, removed by the receipt, by cut(), or replaced by
 * the next batch's.
 */
import type { Cancel, Clock } from '../../common/clock.js';
import { chatError } from '../../common/errors.js';

/**
 * How a batch's wait ended: its receipt came (`received`), the connection went first (`cut`), the
 * time ran out (`overdue`), or, after that, the receipt came all the same (`late`).
 */
export type Outcome = 'received' | 'cut' | 'overdue' | 'late';

interface InFlight {
  /** The id of the batch's last message: what the receipt must name. */
  upTo: number;
  /** Told how the wait ended: once, or `overdue` then `late`. */
  then: (outcome: Outcome) => void;
  /** The time ran out; the entry stays for a late receipt. */
  overdue: boolean;
  /** Stops the timer while it runs. */
  cancel: Cancel | null;
}

export class Receipts {
  private readonly inFlight = new Map<string, InFlight>();

  constructor(
    private readonly clock: Clock,
    private readonly waitMs: number,
  ) {}

  /**
   * `user` (folded) was sent a batch ending at `upTo`: `then` is told how the wait ends. An overdue
   * batch's entry goes: a new delivery sends it again, and its receipt is the one that counts now.
   */
  expect(user: string, upTo: number, then: (outcome: Outcome) => void): void {
    this.inFlight.get(user)?.cancel?.();
    const batch: InFlight = { upTo, then, overdue: false, cancel: null };
    batch.cancel = this.clock.after(this.waitMs, () => {
      batch.cancel = null;
      batch.overdue = true;
      batch.then('overdue');
    });
    this.inFlight.set(user, batch);
  }

  /**
   * `user` received the batch ending at `id`. A receipt for anything else (no batch in flight, or
   * another id: one not sent, or one already received) is refused with RECEIPT_UNEXPECTED and
   * deletes nothing; the batch in flight still waits for its own.
   */
  received(user: string, id: number): void {
    const batch = this.inFlight.get(user);
    if (batch?.upTo !== id) throw chatError('RECEIPT_UNEXPECTED', id, batch?.upTo);
    this.inFlight.delete(user);
    batch.cancel?.();
    batch.then(batch.overdue ? 'late' : 'received');
  }

  /** `user`'s connection is gone (lost, taken over, ended): the batch stays kept. */
  cut(user: string): void {
    const batch = this.inFlight.get(user);
    if (!batch) return;
    this.inFlight.delete(user);
    batch.cancel?.();
    // An overdue delivery has ended already: nothing to stop.
    if (!batch.overdue) batch.then('cut');
  }
}
