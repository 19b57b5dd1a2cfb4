/**
 * Files sent with consent (issue 16), relayed through the server and never kept: an offer, the
 * receiver's yes or no, then chunks from the sender to the receiver, each acknowledged by the
 * receiver, and the receiver's verdict once it has checked the whole file.
 *
 * The rules the server holds a transfer to (the client-side checks are the clients' own):
 * - only to a client that said it takes files (not IRC, not an older client), never to oneself;
 * - at most --max-file bytes, and at most MAX_PER_USER transfers at once per user: a sender's
 *   count from the offer on, a receiver's from the yes. Offers waiting for an answer are bounded
 *   apart (MAX_OFFERS_WAITING, MAX_OFFERS_FROM_ONE), so offers nobody asked for cannot take the
 *   places of a receiver's own transfers;
 * - chunks in order, at most `fileWindow` bytes (and MAX_CHUNKS_IN_FLIGHT chunks) sent and not yet
 *   acknowledged, and at most --file-rate bytes a second per sender (with a burst of two
 *   seconds' worth and a window), separate from the chat's flood limit; a sender that sends more
 *   than it offered, or breaks any of these, is cut off (the transfer fails, both are told);
 * - a connection lost on either side ends the transfer; an offer unanswered, or a transfer with
 *   no progress, for --pm-timeout seconds ends too.
 * Nothing of a file is kept: a chunk goes out to the receiver in the handler it came in. The log
 * names the two users, the size and the outcome, never the file's name or content.
 *
 * On a cluster, a transfer between users of two servers has a half on each (see
 * transfer-peers.ts): the same rules, each judged where the user it is about is connected, and
 * each user told by their own server. The sender's server counts it for the metrics.
 *
 * Here are the rules for each of a user's steps; beside it, what a step does once allowed
 * (transfer-events.ts), what an offer must be (transfer-offer.ts), the book of transfers and the
 * limits counted from it (transfer-book.ts), and the steps of the other half (transfer-remote.ts).
 */
import type { Clock } from '../../common/clock.js';
import { chatError } from '../../common/errors.js';
import { MAX_CHUNKS_IN_FLIGHT, SEAL_OVERHEAD, type ClientMessage } from '../../common/protocol.js';
import { fileWindow, type ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Endpoint, Outbox } from './outbox.js';
import type { Session } from './session.js';
import { FileRate } from './file-rate.js';
import { Turns } from './turns.js';
import { MAX_PER_USER, TransferBook, type Transfer } from './transfer-book.js';
import { acks, TransferEvents } from './transfer-events.js';
import { acceptable, described } from './transfer-offer.js';
import { NO_PEERS, type FilePeers, type PeerMessage, type PeerSink } from './transfer-peers.js';
import { RemoteTransfers } from './transfer-remote.js';

export type TransfersConfig = Pick<ServerConfig, 'maxFile' | 'fileRate' | 'pmTimeout' | 'maxOutput'>;

export { MAX_OFFERS_WAITING } from './transfer-book.js';

/** Who takes part in transfers, as the room knows them, and when they go (see Room's events). */
export interface TransferPeople<E extends Endpoint> {
  find(name: string): Session<E> | undefined;
  on(event: 'detached' | 'ended', listener: (s: Session<E>) => void): unknown;
}

/**
 * How long the sender's server waits for the receiver's server to take an offer (a cluster): the
 * round trip takes milliseconds; past this the step was lost, and the sender is told so.
 */
export const OFFER_VERDICT_MS = 5000;
/**
 * A user's offers and answers waiting behind an offer to another server, at most: they are
 * answered in the order they came; the one refused past them (FILE_WAITING) is named in its
 * refusal, as every refused offer and answer is.
 */
export const MAX_IN_TURN = 8;

export class Transfers<E extends Endpoint = Endpoint> implements PeerSink {
  private readonly book = new TransferBook<E>();
  private readonly rate: FileRate;
  /** Each user's offers and answers, answered in order (some wait for another server). */
  private readonly turns = new Turns(MAX_IN_TURN, () => chatError('FILE_WAITING', MAX_IN_TURN));
  private readonly events: TransferEvents<E>;
  /** The halves whose other user is on another server of a cluster. */
  private readonly remote: RemoteTransfers<E>;
  readonly window: number;

  constructor(
    private readonly config: TransfersConfig,
    private readonly people: TransferPeople<E>,
    out: Outbox<E>,
    private readonly clock: Clock,
    log: Logger,
    private readonly peers: FilePeers<E> = NO_PEERS,
  ) {
    this.window = fileWindow(config.maxOutput);
    this.rate = new FileRate(config.fileRate, this.window, () => clock.monotonic());
    this.events = new TransferEvents(this.book, out, clock, log, peers, config.pmTimeout);
    this.remote = new RemoteTransfers(this.book, this.events, (name) => people.find(name), peers, clock, log, config.maxFile);
    // A transfer does not survive its sender's or receiver's connection: nothing is kept to resume it.
    people.on('detached', (s) => this.gone(s.key));
    people.on('ended', (s) => this.gone(s.key));
  }

  /** Transfers under way (offered or running), this server's halves included. */
  get size(): number {
    return this.book.size;
  }

  /** File bytes relayed from senders of this server, all transfers together (for /metrics). */
  get relayed(): number {
    return this.events.relayed;
  }

  /** Transfers by outcome, counted on the sender's server. */
  get outcomes(): TransferEvents<E>['outcomes'] {
    return this.events.outcomes;
  }

  /**
   * file_offer: `me` offers `msg.to` a file. Throws the refusal. To a user of another server it
   * settles once that server took the offer (or rejects with its refusal).
   */
  offer(me: Session<E>, msg: ClientMessage<'file_offer'>): void | Promise<void> {
    return this.turns.run(me.key, () => this.offerNow(me, msg));
  }

  private offerNow(me: Session<E>, msg: ClientMessage<'file_offer'>): void | Promise<void> {
    const to = this.people.find(msg.to);
    // Not online: a name that is no account was refused before (dispatch/recipient.ts).
    if (!to) throw chatError('NO_SUCH_USER', msg.to);
    if (to === me) throw chatError('FILE_SELF');
    acceptable(to, msg, this.config.maxFile);
    const key = `${me.key}/${msg.id}`;
    if (this.book.has(key)) throw chatError('FILE_ID_TAKEN', msg.id);
    if (this.book.places(me.key) >= MAX_PER_USER) throw chatError('FILE_BUSY', 'you');
    const peer = this.peers.serverOf(to);
    // The receiver's limits are judged by the receiver's server, which knows all their offers.
    if (peer === null) this.book.roomFor(me, to);
    const t = this.events.open(key, msg, me, to, peer === null ? null : 'to', peer);
    if (peer === null) return this.events.offered(t, described(msg));
    if (!this.events.toPeer(t, { k: 'offer', size: msg.size, ...described(msg) })) {
      this.book.remove(t);
      throw chatError('FILE_ELSEWHERE', to.name);
    }
    return new Promise<void>((resolve, reject) => {
      t.verdict = { since: this.clock.monotonic(), resolve, reject };
    });
  }

  /** file_answer: the receiver says yes or no. */
  answer(me: Session<E>, msg: ClientMessage<'file_answer'>): void | Promise<void> {
    return this.turns.run(me.key, () => {
      const t = this.received(me, msg.from, msg.id);
      if (t.state !== 'offered') throw chatError('FILE_NO_SUCH', msg.id);
      // The yes takes the receiver's place; the offer waits on while none is free.
      if (msg.accept && this.book.places(me.key) >= MAX_PER_USER) throw chatError('FILE_BUSY', 'you');
      if (!this.events.toPeer(t, { k: 'answer', accept: msg.accept })) return this.events.fail(t, 'relay');
      this.events.answered(t, msg.accept);
    });
  }

  /** file_chunk: the next chunk of `me`'s transfer, relayed to the receiver at once. */
  chunk(me: Session<E>, msg: ClientMessage<'file_chunk'>): void {
    const t = this.book.get(`${me.key}/${msg.id}`);
    if (!t || t.from !== me) throw chatError('FILE_NO_SUCH', msg.id);
    if (t.state === 'offered') throw chatError('FILE_NOT_STARTED', msg.id);
    const sealed = msg.sealed === true;
    const bytes = msg.data.length - (sealed ? SEAL_OVERHEAD : 0);
    const events = this.events;
    if (t.state === 'sent') return events.fail(t, 'oversent');
    if (msg.seq !== t.nextSeq || sealed !== t.sealed || bytes < 1) return events.fail(t, 'protocol');
    if (t.bytes + bytes > t.size) return events.fail(t, 'oversent');
    const full = t.unacked.length >= MAX_CHUNKS_IN_FLIGHT || t.unackedBytes + bytes > this.window;
    if (t.unacked.length > 0 && full) return events.fail(t, 'window');
    if (!this.rate.spend(me.key, bytes)) return events.fail(t, 'rate');
    if (!events.toPeer(t, { k: 'chunk', seq: msg.seq, data: msg.data, sealed })) return events.fail(t, 'relay');
    events.relay(t, msg.seq, msg.data, sealed, bytes);
  }

  /** file_ack: the receiver has every chunk up to `seq`; the sender may send more. */
  ack(me: Session<E>, msg: ClientMessage<'file_ack'>): void {
    const t = this.received(me, msg.from, msg.id);
    if (!acks(t, msg.seq)) return this.events.fail(t, 'protocol', me.name);
    if (!this.events.toPeer(t, { k: 'ack', seq: msg.seq })) return this.events.fail(t, 'relay');
    this.events.acked(t, msg.seq);
  }

  /** file_done: the receiver has the whole file, and it checked out (or did not). */
  done(me: Session<E>, msg: ClientMessage<'file_done'>): void {
    const t = this.received(me, msg.from, msg.id);
    if (t.state !== 'sent') return this.events.fail(t, 'protocol', me.name);
    if (!msg.ok) return this.events.fail(t, 'check');
    this.events.toPeer(t, { k: 'done', ok: true });
    this.events.completed(t);
  }

  /** file_cancel: either side stops a transfer. */
  cancel(me: Session<E>, msg: ClientMessage<'file_cancel'>): void {
    const t = msg.from === undefined ? this.book.get(`${me.key}/${msg.id}`) : this.received(me, msg.from, msg.id);
    if (!t || (t.from !== me && t.to !== me)) throw chatError('FILE_NO_SUCH', msg.id);
    this.events.toPeer(t, { k: 'cancel', by: me.name });
    this.events.cancelled(t, me.name);
  }

  /** `user` lost their connection, or their session ended: their transfers fail, saying whose it was. */
  gone(user: string): void {
    for (const t of this.book.of(user)) this.events.fail(t, 'lost', (t.from.key === user ? t.from : t.to).name);
  }

  /**
   * The server is stopping. A transfer with a user of another server ends now, blamed on the
   * user here (their connection is closing): the room's shutdown that follows ends every session
   * this server's copy holds, the other server's users too, which are not gone at all.
   */
  shutdown(): void {
    for (const t of this.book.all()) if (t.peer !== null) this.events.fail(t, 'lost', (t.remote === 'to' ? t.from : t.to).name);
  }

  /**
   * Housekeeping (the server's sweep, every second): offers unanswered and transfers without
   * progress for --pm-timeout end, as do offers another server never took and transfers whose
   * user moved to another server; full allowances of users with no transfer are dropped.
   */
  sweep(): void {
    const now = this.clock.monotonic();
    const limit = this.config.pmTimeout * 1000;
    for (const t of this.book.all()) {
      if (t.verdict) {
        if (now - t.verdict.since >= OFFER_VERDICT_MS) this.remote.untaken(t);
        continue;
      }
      const moved = this.remote.moved(t);
      if (moved) this.events.fail(t, 'lost', moved.name);
      else if (now - t.since < limit) continue;
      else if (t.state !== 'offered') this.events.fail(t, 'stalled');
      else this.events.expire(t);
    }
    this.rate.sweep((user) => this.book.busy(user));
  }

  // ---- the other half, on another server of a cluster (transfer-remote.ts) -----------------

  fromPeer(server: string, msg: PeerMessage): void {
    this.remote.fromPeer(server, msg);
  }

  undelivered(server: string, msg: PeerMessage): void {
    this.remote.undelivered(server, msg);
  }

  deaf(): void {
    this.remote.deaf();
  }

  /** The transfer `from`/`id` offered to `me`, or the refusal. */
  private received(me: Session<E>, from: string, id: string): Transfer<E> {
    const sender = this.people.find(from);
    const t = sender && this.book.get(`${sender.key}/${id}`);
    if (!t || t.to !== me || t.verdict) throw chatError('FILE_NO_SUCH', id);
    return t;
  }
}
