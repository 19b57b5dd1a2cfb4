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
 */
import type { Clock } from '../../common/clock.js';
import { ChatError, chatError } from '../../common/errors.js';
import { humanSize } from '../../common/size.js';
import { MAX_CHUNKS_IN_FLIGHT, SEAL_OVERHEAD, type ClientMessage, type ServerMessage, type TransferEvent, type TransferFailure } from '../../common/protocol.js';
import { fileWindow, type ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Endpoint, Outbox } from './outbox.js';
import type { Session } from './session.js';
import { FileRate } from './file-rate.js';
import { Turns } from './turns.js';
import { MAX_PER_USER, TransferBook, type Transfer } from './transfer-book.js';
import { NO_PEERS, type FilePeers, type PeerMessage, type PeerSink, type PeerStep } from './transfer-peers.js';

export type TransfersConfig = Pick<ServerConfig, 'maxFile' | 'fileRate' | 'pmTimeout' | 'maxOutput'>;

export { MAX_OFFERS_FROM_ONE, MAX_OFFERS_WAITING, MAX_PER_USER } from './transfer-book.js';

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
 * answered in the order they came (a client matches a refusal to its oldest request).
 */
const MAX_IN_TURN = 8;

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

/** The offer's description: its name and digest in the open, or sealed. */
const described = (msg: { name?: string; sha256?: string; meta?: string }) =>
  msg.meta === undefined ? { name: msg.name!, sha256: msg.sha256! } : { meta: msg.meta };

export class Transfers<E extends Endpoint = Endpoint> implements PeerSink {
  private readonly book = new TransferBook<E>();
  private readonly rate: FileRate;
  /** Each user's offers and answers, answered in order (some wait for another server). */
  private readonly turns = new Turns(MAX_IN_TURN, () => chatError('FILE_BUSY', 'you'));
  readonly window: number;
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
    private readonly config: TransfersConfig,
    private readonly people: TransferPeople<E>,
    private readonly out: Outbox<E>,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly peers: FilePeers<E> = NO_PEERS,
  ) {
    this.window = fileWindow(config.maxOutput);
    this.rate = new FileRate(config.fileRate, this.window, () => clock.monotonic());
    // A transfer does not survive its sender's or receiver's connection: nothing is kept to resume it.
    people.on('detached', (s) => this.gone(s.key));
    people.on('ended', (s) => this.gone(s.key));
  }

  /** Transfers under way (offered or running), this server's halves included. */
  get size(): number {
    return this.book.size;
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
    if (!to) throw chatError('NO_SUCH_USER', msg.to);
    if (to === me) throw chatError('FILE_SELF');
    this.acceptable(to, msg);
    const key = `${me.key}/${msg.id}`;
    if (this.book.has(key)) throw chatError('FILE_ID_TAKEN', msg.id);
    if (this.book.places(me.key) >= MAX_PER_USER) throw chatError('FILE_BUSY', 'you');
    const peer = this.peers.serverOf(to);
    // The receiver's limits are judged by the receiver's server, which knows all their offers.
    if (peer === null) this.book.roomFor(me, to);
    const t = this.open(key, msg, me, to, peer === null ? null : 'to', peer);
    if (peer === null) return this.offered(t, described(msg));
    if (!this.toPeer(t, { k: 'offer', size: msg.size, ...described(msg) })) {
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
      if (!this.toPeer(t, { k: 'answer', accept: msg.accept })) return this.fail(t, 'relay');
      this.answered(t, msg.accept);
    });
  }

  /** file_chunk: the next chunk of `me`'s transfer, relayed to the receiver at once. */
  chunk(me: Session<E>, msg: ClientMessage<'file_chunk'>): void {
    const t = this.book.get(`${me.key}/${msg.id}`);
    if (!t || t.from !== me) throw chatError('FILE_NO_SUCH', msg.id);
    if (t.state === 'offered') throw chatError('FILE_NOT_STARTED', msg.id);
    const sealed = msg.sealed === true;
    const bytes = msg.data.length - (sealed ? SEAL_OVERHEAD : 0);
    if (t.state === 'sent') return this.fail(t, 'oversent');
    if (msg.seq !== t.nextSeq || sealed !== t.sealed || bytes < 1) return this.fail(t, 'protocol');
    if (t.bytes + bytes > t.size) return this.fail(t, 'oversent');
    const full = t.unacked.length >= MAX_CHUNKS_IN_FLIGHT || t.unackedBytes + bytes > this.window;
    if (t.unacked.length > 0 && full) return this.fail(t, 'window');
    if (!this.rate.spend(me.key, bytes)) return this.fail(t, 'rate');
    if (!this.toPeer(t, { k: 'chunk', seq: msg.seq, data: msg.data, sealed })) return this.fail(t, 'relay');
    this.relay(t, msg.seq, msg.data, sealed, bytes);
  }

  /** file_ack: the receiver has every chunk up to `seq`; the sender may send more. */
  ack(me: Session<E>, msg: ClientMessage<'file_ack'>): void {
    const t = this.received(me, msg.from, msg.id);
    if (!this.acks(t, msg.seq)) return this.fail(t, 'protocol', me.name);
    if (!this.toPeer(t, { k: 'ack', seq: msg.seq })) return this.fail(t, 'relay');
    this.acked(t, msg.seq);
  }

  /** file_done: the receiver has the whole file, and it checked out (or did not). */
  done(me: Session<E>, msg: ClientMessage<'file_done'>): void {
    const t = this.received(me, msg.from, msg.id);
    if (t.state !== 'sent') return this.fail(t, 'protocol', me.name);
    if (!msg.ok) return this.fail(t, 'check');
    this.toPeer(t, { k: 'done', ok: true });
    this.completed(t);
  }

  /** file_cancel: either side stops a transfer. */
  cancel(me: Session<E>, msg: ClientMessage<'file_cancel'>): void {
    const t = msg.from === undefined ? this.book.get(`${me.key}/${msg.id}`) : this.received(me, msg.from, msg.id);
    if (!t || (t.from !== me && t.to !== me)) throw chatError('FILE_NO_SUCH', msg.id);
    this.toPeer(t, { k: 'cancel', by: me.name });
    this.cancelled(t, me.name);
  }

  /** `user` lost their connection, or their session ended: their transfers fail, saying whose it was. */
  gone(user: string): void {
    for (const t of this.book.of(user)) this.fail(t, 'lost', (t.from.key === user ? t.from : t.to).name);
  }

  /**
   * The server is stopping. A transfer with a user of another server ends now, blamed on the
   * user here (their connection is closing): the room's shutdown that follows ends every session
   * this server's copy holds, the other server's users too, which are not gone at all.
   */
  shutdown(): void {
    for (const t of this.book.all()) if (t.peer !== null) this.fail(t, 'lost', (t.remote === 'to' ? t.from : t.to).name);
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
        if (now - t.verdict.since >= OFFER_VERDICT_MS) this.untaken(t);
        continue;
      }
      const moved = this.moved(t);
      if (moved) this.fail(t, 'lost', moved.name);
      else if (now - t.since < limit) continue;
      else if (t.state !== 'offered') this.fail(t, 'stalled');
      else this.expire(t);
    }
    this.rate.sweep((user) => this.book.busy(user));
  }

  // ---- the other half, on another server of a cluster --------------------------------------

  /** A step from the half of a transfer on `server` (see transfer-peers.ts). */
  fromPeer(server: string, msg: PeerMessage): void {
    if (msg.k === 'offer') return this.offerFromPeer(server, msg);
    const t = this.book.get(`${msg.from}/${msg.id}`);
    if (!t || t.peer !== server) {
      // This half is over (its end to the other was lost, say): the other half ends too.
      if (msg.k !== 'end' && msg.k !== 'cancel' && msg.k !== 'verdict') this.peers.send(server, { from: msg.from, id: msg.id, to: msg.to, k: 'end', reason: 'relay' });
      return;
    }
    switch (msg.k) {
      case 'verdict':
        return this.verdict(t, msg);
      case 'answer':
        if (t.remote !== 'to' || t.state !== 'offered' || t.verdict) return this.fail(t, 'relay');
        return this.answered(t, msg.accept);
      case 'chunk': {
        const bytes = msg.data.length - (msg.sealed ? SEAL_OVERHEAD : 0);
        // A chunk missing in between was lost on the way: the receiver would wait for it forever.
        if (t.remote !== 'from' || t.state !== 'running' || msg.seq !== t.nextSeq || t.bytes + bytes > t.size) return this.fail(t, 'relay');
        return this.relay(t, msg.seq, msg.data, msg.sealed, bytes);
      }
      case 'ack':
        if (t.remote !== 'to' || !this.acks(t, msg.seq)) return this.fail(t, 'relay');
        return this.acked(t, msg.seq);
      case 'done':
        if (t.remote !== 'to' || t.state !== 'sent') return this.fail(t, 'relay');
        return msg.ok ? this.completed(t) : this.fail(t, 'check', undefined, false);
      case 'cancel':
        return this.cancelled(t, msg.by);
      case 'end':
        if (msg.reason === 'expired') return this.expire(t, false);
        return this.fail(t, msg.reason, msg.blamed, false);
    }
  }

  /** A step to `server` was lost: its transfer ends now rather than when it stalls. */
  undelivered(server: string, msg: PeerMessage): void {
    const t = this.book.get(`${msg.from}/${msg.id}`);
    if (!t || t.peer !== server) return;
    if (t.verdict) this.untaken(t);
    else this.fail(t, 'relay');
  }

  /** This server heard nothing from the others for a while (see PeerSink.deaf). */
  deaf(): void {
    for (const t of this.book.all()) {
      if (t.peer === null) continue;
      if (t.verdict) this.untaken(t);
      else this.fail(t, 'relay');
    }
  }

  /** The receiver's half: an offer to a user of this server from a user of `server`. */
  private offerFromPeer(server: string, msg: Extract<PeerMessage, { k: 'offer' }>): void {
    const from = this.people.find(msg.from);
    const to = this.people.find(msg.to);
    const refuse = (e: ChatError) => void this.peers.send(server, { from: msg.from, id: msg.id, to: msg.to, k: 'verdict', code: e.code, message: e.message });
    let t: Transfer<E>;
    try {
      // The receiver moved (or the sender did) since the offer was made: refused as unreachable.
      if (!from || !to || this.peers.serverOf(to) !== null || this.peers.serverOf(from) !== server) throw chatError('FILE_ELSEWHERE', msg.to);
      this.acceptable(to, msg);
      const key = `${from.key}/${msg.id}`;
      if (this.book.has(key)) throw chatError('FILE_ID_TAKEN', msg.id);
      this.book.roomFor(from, to);
      t = this.open(key, msg, from, to, 'from', server);
    } catch (e) {
      if (e instanceof ChatError) return refuse(e);
      throw e;
    }
    if (!this.toPeer(t, { k: 'verdict' })) return this.book.remove(t);
    this.offered(t, described(msg));
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
    this.offered(t);
    v.resolve();
  }

  /** The receiver's server never took the offer: its sender hears so, and that half is dropped. */
  private untaken(t: Transfer<E>): void {
    const v = t.verdict!;
    t.verdict = null;
    this.toPeer(t, { k: 'end', reason: 'relay' });
    this.book.remove(t);
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name}: the server of ${t.to.name} did not take the offer`);
    v.reject(chatError('FILE_ELSEWHERE', t.to.name));
  }

  /** The user of `t` who is no longer where this half has them (a resume on another server). */
  private moved(t: Transfer<E>): Session<E> | undefined {
    if (t.peer === null) return undefined;
    const [here, there] = t.remote === 'to' ? [t.from, t.to] : [t.to, t.from];
    if (this.peers.serverOf(here) !== null) return here;
    return this.peers.serverOf(there) === t.peer ? undefined : there;
  }

  /** Sends `step` to the other half, if there is one; false when it cannot go. */
  private toPeer(t: Transfer<E>, step: PeerStep): boolean {
    return t.peer === null || this.peers.send(t.peer, { ...step, from: t.from.key, id: t.id, to: t.to.key });
  }

  // ---- what happens, on each half --------------------------------------------------------

  private open(key: string, msg: { id: string; size: number; meta?: string }, from: Session<E>, to: Session<E>, remote: Transfer<E>['remote'], peer: string | null): Transfer<E> {
    const now = this.clock.monotonic();
    const t: Transfer<E> = {
      id: msg.id, key, from, to, size: msg.size, sealed: msg.meta !== undefined, state: 'offered',
      nextSeq: 0, bytes: 0, unacked: [], unackedBytes: 0, since: now, accepted: now, remote, peer, verdict: null,
    };
    this.book.add(t);
    return t;
  }

  /** The offer stands: both are told (each by their own server). */
  private offered(t: Transfer<E>, description: ReturnType<typeof described> | null = null): void {
    if (this.counts(t)) this.outcomes.offered++;
    const { from, to, size } = t;
    if (description) this.tell(to, t, 'offer', `${from.name} wants to send you a file (${humanSize(size)})`, { size, ...description });
    this.tell(from, t, 'offered', `File offered to ${to.name} (${humanSize(size)}); waiting for the answer`, { size });
    this.log.info(`File transfer ${t.key} offered by ${from.name} to ${to.name} (${size} bytes${t.sealed ? ', end-to-end encrypted' : ''})`);
  }

  private answered(t: Transfer<E>, accept: boolean): void {
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
  private relay(t: Transfer<E>, seq: number, data: Buffer, sealed: boolean, bytes: number): void {
    if (!this.elsewhere(t, t.to)) this.out.toUser(t.to.key, { type: 'file_chunk', id: t.id, from: t.from.name, seq, data, ...(sealed ? { sealed } : {}) });
    if (this.counts(t)) this.relayed += bytes;
    t.nextSeq++;
    t.bytes += bytes;
    t.unacked.push([seq, bytes]);
    t.unackedBytes += bytes;
    t.since = this.clock.monotonic();
    if (t.bytes === t.size) t.state = 'sent';
  }

  /** Whether `seq` acknowledges chunks in flight. */
  private acks(t: Transfer<E>, seq: number): boolean {
    const last = t.unacked.at(-1);
    return last !== undefined && seq >= t.unacked[0]![0] && seq <= last[0];
  }

  private acked(t: Transfer<E>, seq: number): void {
    while (t.unacked.length > 0 && t.unacked[0]![0] <= seq) t.unackedBytes -= t.unacked.shift()![1];
    t.since = this.clock.monotonic();
    if (!this.elsewhere(t, t.from)) this.out.toUser(t.from.key, { type: 'file_ack', id: t.id, to: t.to.name, seq });
  }

  private completed(t: Transfer<E>): void {
    if (this.counts(t)) this.outcomes.done++;
    const seconds = ((this.clock.monotonic() - t.accepted) / 1000).toFixed(1);
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} completed (${t.size} bytes in ${seconds} s)`);
    this.finish(t, 'done', {
      from: `${t.to.name} received your file (${humanSize(t.size)}) and checked it`,
      to: `Received the file from ${t.from.name} (${humanSize(t.size)})`,
    });
  }

  private cancelled(t: Transfer<E>, by: string): void {
    if (this.counts(t)) this.outcomes.cancelled++;
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} cancelled by ${by} (${t.bytes} of ${t.size} bytes sent)`);
    const mine = 'You cancelled the file transfer';
    const theirs = `${by} cancelled the file transfer`;
    this.finish(t, 'cancelled', t.from.name === by ? { from: mine, to: theirs } : { from: theirs, to: mine }, { by });
  }

  /** Ends `t` as failed, saying why (`blamed`: whose fault, by name); `tellPeer`: unless the other half said so. */
  private fail(t: Transfer<E>, reason: TransferFailure, blamed?: string, tellPeer = true): void {
    if (!this.book.has(t.key)) return;
    if (tellPeer) this.toPeer(t, { k: 'end', reason, ...(blamed !== undefined ? { blamed } : {}) });
    if (this.counts(t)) this.outcomes.failed++;
    const why = FAILED[reason]({ from: blamed ?? t.from.name, to: t.to.name });
    const warn = reason === 'lost' || reason === 'check' || reason === 'stalled' || reason === 'relay' ? 'info' : 'warn';
    this.log[warn](`File transfer ${t.key} from ${t.from.name} to ${t.to.name} failed after ${t.bytes} of ${t.size} bytes: ${reason}`);
    const said = `The file transfer from ${t.from.name} to ${t.to.name} failed: ${why}`;
    this.finish(t, 'failed', { from: said, to: said }, { reason });
  }

  private expire(t: Transfer<E>, tellPeer = true): void {
    if (tellPeer) this.toPeer(t, { k: 'end', reason: 'expired' });
    if (this.counts(t)) this.outcomes.expired++;
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} expired unanswered`);
    const said = `The file offer from ${t.from.name} to ${t.to.name} expired after ${this.config.pmTimeout} s without an answer`;
    this.finish(t, 'expired', { from: said, to: said });
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

  // ---- the rules ---------------------------------------------------------------------------

  /** Refuses an offer `to` cannot take, or this server does not relay. */
  private acceptable(to: Session<E>, msg: { size: number; name?: string; sha256?: string; meta?: string }): void {
    if (!to.features.has('files')) throw chatError('FILES_UNSUPPORTED', to.name);
    if (this.config.maxFile === 0) throw chatError('FILE_BAD_OFFER', 'this server relays no files');
    if (msg.size > this.config.maxFile) throw chatError('FILE_TOO_BIG', msg.size, this.config.maxFile);
    if (msg.size < 1) throw chatError('FILE_BAD_OFFER', 'an empty file is not sent');
    const open = msg.name !== undefined && msg.sha256 !== undefined;
    if (open === (msg.meta !== undefined) || (!open && (msg.name !== undefined || msg.sha256 !== undefined))) {
      throw chatError('FILE_BAD_OFFER', 'give the name and sha256, or the sealed meta, not both');
    }
  }

  /** The transfer `from`/`id` offered to `me`, or the refusal. */
  private received(me: Session<E>, from: string, id: string): Transfer<E> {
    const sender = this.people.find(from);
    const t = sender && this.book.get(`${sender.key}/${id}`);
    if (!t || t.to !== me || t.verdict) throw chatError('FILE_NO_SUCH', id);
    return t;
  }
}
