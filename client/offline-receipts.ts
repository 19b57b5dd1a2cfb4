/**
 * Offline messages, at least once. The server keeps a batch of the messages that waited for us
 * until this client says it arrived (the `receipts` feature): the batch's last message is marked
 * `receipt`, and we answer `received` with its id. A batch whose receipt was lost with a
 * connection comes again after the reconnect, so each message is shown once a run: the ids shown
 * are kept (the newest MAX_SEEN; a mailbox holds 100 by default). The receipt is sent for a batch
 * shown already too, or the server would wait for it forever.
 *
 * The notice that announces them ("3 messages came while you were away:") waits for the first of
 * them not shown yet: a batch that comes again in full is not announced again. A receipt the
 * server did not expect is refused (RECEIPT_UNEXPECTED); the refusal is not shown.
 */
import type { ClientMessage, ServerMessage } from '../common/protocol.js';

/** Ids of offline messages remembered as shown, at most. */
export const MAX_SEEN = 1000;

export interface Sorted {
  /** What goes on to be shown, in order (nothing for a message shown already). */
  show: ServerMessage[];
  /** The receipt to send, when `m` ended a batch. */
  receipt?: ClientMessage<'received'>;
}

export class OfflineReceipts {
  /** Ids shown this run, oldest first (a Set keeps insertion order). */
  private readonly seen = new Set<number>();
  /** The announcing notice, until a message it announces is new. */
  private held: ServerMessage<'notice'> | null = null;

  received(m: ServerMessage): Sorted {
    if (m.type === 'notice' && m.event === 'offline_delivered') {
      this.held = m;
      return { show: [] };
    }
    // A receipt the server did not expect (one sent twice for a batch that came twice, say)
    // deleted nothing and changes nothing: there is nothing the user could do about it.
    if (m.type === 'error' && m.code === 'RECEIPT_UNEXPECTED') return { show: [] };
    if (m.type !== 'msg' || m.offline !== true) return { show: [m] };
    const receipt = m.receipt ? { receipt: { type: 'received', id: m.id } as const } : {};
    if (this.seen.has(m.id)) return { show: [], ...receipt };
    this.remember(m.id);
    const show = this.held ? [this.held, m] : [m];
    this.held = null;
    return { show, ...receipt };
  }

  private remember(id: number): void {
    this.seen.add(id);
    if (this.seen.size > MAX_SEEN) this.seen.delete(this.seen.values().next().value!);
  }
}
