/**
 * The halves of transfers whose other user is on another server of a cluster (see
 * transfer-peers.ts): the steps the other half sends, judged as that user's own steps are, the
 * steps that never got there, the receiver's server taking an offer, and the sender's server
 * waiting for that verdict. What each step does is TransferEvents'; the rules for an offer are
 * transfer-offer.ts's.
 */
import type { Clock } from '../../common/clock.js';
import { ChatError, chatError } from '../../common/errors.js';
import { SEAL_OVERHEAD } from '../../common/protocol.js';
import type { Logger } from '../logger.js';
import type { Endpoint } from './outbox.js';
import type { Session } from './session.js';
import type { Transfer, TransferBook } from './transfer-book.js';
import { acks, type TransferEvents } from './transfer-events.js';
import { acceptable, described } from './transfer-offer.js';
import type { FilePeers, PeerMessage, PeerSink } from './transfer-peers.js';

export class RemoteTransfers<E extends Endpoint> implements PeerSink {
  constructor(
    private readonly book: TransferBook<E>,
    private readonly events: TransferEvents<E>,
    /** The room's sessions by name. */
    private readonly find: (name: string) => Session<E> | undefined,
    private readonly peers: FilePeers<E>,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** --max-file, which the receiver's server judges an offer by. */
    private readonly maxFile: number,
  ) {}

  /** A step from the half of a transfer on `server` (see transfer-peers.ts). */
  fromPeer(server: string, msg: PeerMessage): void {
    if (msg.k === 'offer') return this.offerFromPeer(server, msg);
    const t = this.book.get(`${msg.from}/${msg.id}`);
    if (!t || t.peer !== server) {
      // This half is over (its end to the other was lost, say): the other half ends too.
      if (msg.k !== 'end' && msg.k !== 'cancel' && msg.k !== 'verdict') this.peers.send(server, { from: msg.from, id: msg.id, to: msg.to, k: 'end', reason: 'relay' });
      return;
    }
    const events = this.events;
    switch (msg.k) {
      case 'verdict':
        return this.verdict(t, msg);
      case 'answer':
        if (t.remote !== 'to' || t.state !== 'offered' || t.verdict) return events.fail(t, 'relay');
        return events.answered(t, msg.accept);
      case 'chunk': {
        const bytes = msg.data.length - (msg.sealed ? SEAL_OVERHEAD : 0);
        // A chunk missing in between was lost on the way: the receiver would wait for it forever.
        if (t.remote !== 'from' || t.state !== 'running' || msg.seq !== t.nextSeq || t.bytes + bytes > t.size) return events.fail(t, 'relay');
        return events.relay(t, msg.seq, msg.data, msg.sealed, bytes);
      }
      case 'ack':
        if (t.remote !== 'to' || !acks(t, msg.seq)) return events.fail(t, 'relay');
        return events.acked(t, msg.seq);
      case 'done':
        if (t.remote !== 'to' || t.state !== 'sent') return events.fail(t, 'relay');
        return msg.ok ? events.completed(t) : events.fail(t, 'check', undefined, false);
      case 'cancel':
        return events.cancelled(t, msg.by);
      case 'end':
        if (msg.reason === 'expired') return events.expire(t, false);
        return events.fail(t, msg.reason, msg.blamed, false);
    }
  }

  /** A step to `server` was lost: its transfer ends now rather than when it stalls. */
  undelivered(server: string, msg: PeerMessage): void {
    const t = this.book.get(`${msg.from}/${msg.id}`);
    if (!t || t.peer !== server) return;
    this.lose(t);
  }

  /** This server heard nothing from the others for a while (see PeerSink.deaf). */
  deaf(): void {
    for (const t of this.book.all()) {
      if (t.peer !== null) this.lose(t);
    }
  }

  /** What the other server lost of `t`: an answer it was to take is taken back; else the transfer fails. */
  private lose(t: Transfer<E>): void {
    if (t.verdict) this.untaken(t);
    else this.events.fail(t, 'relay');
  }

  /** The receiver's server never took the offer: its sender hears so, and that half is dropped. */
  untaken(t: Transfer<E>): void {
    const v = t.verdict!;
    t.verdict = null;
    this.events.toPeer(t, { k: 'end', reason: 'relay' });
    this.book.remove(t);
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name}: the server of ${t.to.name} did not take the offer`);
    v.reject(chatError('FILE_ELSEWHERE', t.to.name));
  }

  /** The user of `t` who is no longer where this half has them (a resume on another server). */
  moved(t: Transfer<E>): Session<E> | undefined {
    if (t.peer === null) return undefined;
    const [here, there] = t.remote === 'to' ? [t.from, t.to] : [t.to, t.from];
    if (this.peers.serverOf(here) !== null) return here;
    return this.peers.serverOf(there) === t.peer ? undefined : there;
  }

  /** The receiver's half: an offer to a user of this server from a user of `server`. */
  private offerFromPeer(server: string, msg: Extract<PeerMessage, { k: 'offer' }>): void {
    const from = this.find(msg.from);
    const to = this.find(msg.to);
    const refuse = (e: ChatError) => void this.peers.send(server, { from: msg.from, id: msg.id, to: msg.to, k: 'verdict', code: e.code, message: e.message });
    let t: Transfer<E>;
    try {
      // The receiver moved (or the sender did) since the offer was made: refused as unreachable.
      if (!from || !to || this.peers.serverOf(to) !== null || this.peers.serverOf(from) !== server) throw chatError('FILE_ELSEWHERE', msg.to);
      acceptable(to, msg, this.maxFile);
      const key = `${from.key}/${msg.id}`;
      if (this.book.has(key)) throw chatError('FILE_ID_TAKEN', msg.id);
      this.book.roomFor(from, to);
      t = this.events.open(key, msg, from, to, 'from', server);
    } catch (e) {
      if (e instanceof ChatError) return refuse(e);
      throw e;
    }
    if (!this.events.toPeer(t, { k: 'verdict' })) return this.book.remove(t);
    this.events.offered(t, described(msg));
  }

  /** The sender's half: the receiver's server took the offer, or refused it. */
  private verdict(t: Transfer<E>, msg: Extract<PeerMessage, { k: 'verdict' }>): void {
    const v = t.verdict;
    if (!v) return;
    t.verdict = null;
    if (msg.code) {
      this.book.remove(t);
      return v.reject(new ChatError(msg.code, msg.message ?? msg.code));
    }
    t.since = t.accepted = this.clock.monotonic();
    this.events.offered(t);
    v.resolve();
  }
}
