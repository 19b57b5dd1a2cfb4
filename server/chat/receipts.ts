/**
 * Receipts for offline messages. TCP only says that the kernel took the bytes, not that they
 * arrived: a connection that dies right after loses what its socket held. So a client that says
 * it sends receipts (the `receipts` feature) has the last message of each batch marked `receipt`
 * and answers `received` with its id once the batch has arrived; only then are the messages
 * deleted and the next batch sent. A connection lost (or taken over) before the receipt leaves the
 * batch kept, for the next login or resume: at least once, never lost.
 *
 * One batch in flight per user (the Pacer runs one job at a time), so this holds at most one entry
 * per user with a delivery under way, removed by the receipt or by cut().
 */
import { chatError } from '../../common/errors.js';

interface InFlight {
  /** The id of the batch's last message: what the receipt must name. */
  upTo: number;
  /** Resumes the delivery: true on the receipt, false when the connection is gone. */
  then: (open: boolean) => void;
}

export class Receipts {
  private readonly inFlight = new Map<string, InFlight>();

  /** `user` (folded) was sent a batch ending at `upTo`: `then(true)` on its receipt, `then(false)` if cut first. */
  expect(user: string, upTo: number, then: (open: boolean) => void): void {
    this.inFlight.set(user, { upTo, then });
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
    batch.then(true);
  }

  /** `user`'s connection is gone (lost, taken over, ended): the batch in flight stays kept. */
  cut(user: string): void {
    const batch = this.inFlight.get(user);
    if (!batch) return;
    this.inFlight.delete(user);
    batch.then(false);
  }
}
