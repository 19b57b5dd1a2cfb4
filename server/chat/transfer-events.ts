/**
 * What happens to a transfer, from its offer to its end, as one half sees it (on one server the
 * only half): the book kept up, each user of this server told by it (the other half tells its
 * own), the log written, and the outcome counted on the sender's server, so a cluster counts each
 * transfer once. Which step is allowed when is for transfers.ts and transfer-remote.ts to judge.
 */
import type { Clock } from '../../common/clock.js';
import { humanSize } from '../../common/size.js';
import type { ServerMessage, TransferEvent, TransferFailure } from '../../common/protocol.js';
import type { Logger } from '../logger.js';
import type { Endpoint, Outbox } from './outbox.js';
import type { Session } from './session.js';
import type { Description } from './transfer-offer.js';
import type { TransferBook, Transfer } from './transfer-book.js';
import type { FilePeers, PeerStep } from './transfer-peers.js';

const FAILED: Record<TransferFailure, (t: { from: string; to: string }) => string> = {
  lost: ({ from }) => `${from}'s connection was lost`,
  oversent: ({ from }) => `${from} sent more than the size offered (cut off)`,
  rate: ({ from }) => `${from} sent faster than this server allows (cut off)`,
  window: ({ from }) => `${from} sent more than the window allows before acknowledgements (cut off)`,
  protocol: ({ from }) => `${from}'s client broke the transfer's rules (a chunk out of order, or of the wrong kind)`,
  stalled: () => 'it made no progress for too long (has the receiver stopped reading?)',
  check: ({ to }) => `${to} found that the file does not match the size and SHA-256 offered; nothing was kept`,
  relay: () => 'the servers of the cluster lost touch while passing it on',
};

/** Whether `seq` acknowledges chunks of `t` in flight. */
export function acks<E extends Endpoint>(t: Transfer<E>, seq: number): boolean {
  const last = t.unacked.at(-1);
  return last !== undefined && seq >= t.unacked[0]![0] && seq <= last[0];
}

export class TransferEvents<E extends Endpoint> {
  /** File bytes relayed from senders of this server, all transfers together (for /metrics). */
  relayed = 0;
  /** Transfers by outcome, counted on the sender's server. */
  readonly outcomes: Record<'offered' | 'done' | 'refused' | 'cancelled' | 'expired' | 'failed', number> = {
    offered: 0,
    done: 0,
    refused: 0,
    cancelled: 0,
    expired: 0,
    failed: 0,
  };

  constructor(
    private readonly book: TransferBook<E>,
    private readonly out: Outbox<E>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly peers: FilePeers<E>,
    /** --pm-timeout, in seconds, which an expired offer names. */
    private readonly pmTimeout: number,
  ) {}

  open(key: string, msg: { id: string; size: number; meta?: string }, from: Session<E>, to: Session<E>, remote: Transfer<E>['remote'], peer: string | null): Transfer<E> {
    const now = this.clock.monotonic();
    const t: Transfer<E> = {
      id: msg.id, key, from, to, size: msg.size, sealed: msg.meta !== undefined, state: 'offered',
      nextSeq: 0, bytes: 0, unacked: [], unackedBytes: 0, since: now, accepted: now, remote, peer, verdict: null,
    };
    this.book.add(t);
    return t;
  }

  /** The offer stands: both are told (each by their own server). */
  offered(t: Transfer<E>, description: Description | null = null): void {
    if (this.counts(t)) this.outcomes.offered++;
    const { from, to, size } = t;
    if (description) this.tell(to, t, 'offer', `${from.name} wants to send you a file (${humanSize(size)})`, { size, ...description });
    this.tell(from, t, 'offered', `File offered to ${to.name} (${humanSize(size)}); waiting for the answer`, { size });
    this.log.info(`File transfer ${t.key} offered by ${from.name} to ${to.name} (${size} bytes${t.sealed ? ', end-to-end encrypted' : ''})`);
  }

  answered(t: Transfer<E>, accept: boolean): void {
    const { from, to } = t;
    if (!accept) {
      if (this.counts(t)) this.outcomes.refused++;
      this.log.info(`File transfer ${t.key} refused by ${to.name}`);
      return this.finish(t, 'refused', { from: `${to.name} refused your file`, to: `You refused the file from ${from.name}` });
    }
    t.state = 'running';
    t.since = t.accepted = this.clock.monotonic();
    this.log.info(`File transfer ${t.key} accepted by ${to.name}`);
    this.tell(from, t, 'accepted', `${to.name} accepted your file; sending`);
    this.tell(to, t, 'accepted', `Receiving the file from ${from.name}`);
  }

  /** A chunk goes on to the receiver (when here), and counts as in flight until acknowledged. */
  relay(t: Transfer<E>, seq: number, data: Buffer, sealed: boolean, bytes: number): void {
    if (!this.elsewhere(t, t.to)) this.out.toUser(t.to.key, { type: 'file_chunk', id: t.id, from: t.from.name, seq, data, ...(sealed ? { sealed } : {}) });
    if (this.counts(t)) this.relayed += bytes;
    t.nextSeq++;
    t.bytes += bytes;
    t.unacked.push([seq, bytes]);
    t.unackedBytes += bytes;
    t.since = this.clock.monotonic();
    if (t.bytes === t.size) t.state = 'sent';
  }

  acked(t: Transfer<E>, seq: number): void {
    while (t.unacked.length > 0 && t.unacked[0]![0] <= seq) t.unackedBytes -= t.unacked.shift()![1];
    t.since = this.clock.monotonic();
    if (!this.elsewhere(t, t.from)) this.out.toUser(t.from.key, { type: 'file_ack', id: t.id, to: t.to.name, seq });
  }

  completed(t: Transfer<E>): void {
    if (this.counts(t)) this.outcomes.done++;
    const seconds = ((this.clock.monotonic() - t.accepted) / 1000).toFixed(1);
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} completed (${t.size} bytes in ${seconds} s)`);
    this.finish(t, 'done', {
      from: `${t.to.name} received your file (${humanSize(t.size)}) and checked it`,
      to: `Received the file from ${t.from.name} (${humanSize(t.size)})`,
    });
  }

  cancelled(t: Transfer<E>, by: string): void {
    if (this.counts(t)) this.outcomes.cancelled++;
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} cancelled by ${by} (${t.bytes} of ${t.size} bytes sent)`);
    const mine = 'You cancelled the file transfer';
    const theirs = `${by} cancelled the file transfer`;
    this.finish(t, 'cancelled', t.from.name === by ? { from: mine, to: theirs } : { from: theirs, to: mine }, { by });
  }

  /** Ends `t` as failed, saying why (`blamed`: whose fault, by name); `tellPeer`: unless the other half said so. */
  fail(t: Transfer<E>, reason: TransferFailure, blamed?: string, tellPeer = true): void {
    if (!this.book.has(t.key)) return;
    if (tellPeer) this.toPeer(t, { k: 'end', reason, ...(blamed !== undefined ? { blamed } : {}) });
    if (this.counts(t)) this.outcomes.failed++;
    const why = FAILED[reason]({ from: blamed ?? t.from.name, to: t.to.name });
    const warn = reason === 'lost' || reason === 'check' || reason === 'stalled' || reason === 'relay' ? 'info' : 'warn';
    this.log[warn](`File transfer ${t.key} from ${t.from.name} to ${t.to.name} failed after ${t.bytes} of ${t.size} bytes: ${reason}`);
    const said = `The file transfer from ${t.from.name} to ${t.to.name} failed: ${why}`;
    this.finish(t, 'failed', { from: said, to: said }, { reason });
  }

  expire(t: Transfer<E>, tellPeer = true): void {
    if (tellPeer) this.toPeer(t, { k: 'end', reason: 'expired' });
    if (this.counts(t)) this.outcomes.expired++;
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} expired unanswered`);
    const said = `The file offer from ${t.from.name} to ${t.to.name} expired after ${this.pmTimeout} s without an answer`;
    this.finish(t, 'expired', { from: said, to: said });
  }

  /** Sends `step` to the other half, if there is one; false when it cannot go. */
  toPeer(t: Transfer<E>, step: PeerStep): boolean {
    return t.peer === null || this.peers.send(t.peer, { ...step, from: t.from.key, id: t.id, to: t.to.key });
  }

  /** Removes `t` and tells both sides; an offer's handler still waiting for the other server is done. */
  private finish(t: Transfer<E>, event: TransferEvent, said: { from: string; to: string }, extra: { by?: string; reason?: TransferFailure } = {}): void {
    this.book.remove(t);
    this.tell(t.from, t, event, said.from, extra);
    this.tell(t.to, t, event, said.to, extra);
    const v = t.verdict;
    t.verdict = null;
    v?.resolve();
  }

  /** Tells `s` about `t`, when `s` is a user of this server (the other half tells its own). */
  private tell(s: Session<E>, t: Transfer<E>, event: TransferEvent, message: string, extra: Partial<ServerMessage<'transfer'>> = {}): void {
    if (this.elsewhere(t, s)) return;
    this.out.toUser(s.key, { type: 'transfer', event, id: t.id, from: t.from.name, to: t.to.name, message, ts: this.clock.now(), ...extra });
  }

  /** Whether `s` is the side of `t` on another server. */
  private elsewhere(t: Transfer<E>, s: Session<E>): boolean {
    return (t.remote === 'from' && s === t.from) || (t.remote === 'to' && s === t.to);
  }

  /** Whether this server counts `t` for the metrics: the sender's does, so a cluster counts it once. */
  private counts(t: Transfer<E>): boolean {
    return t.remote !== 'from';
  }
}
