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
 */
import type { Clock } from '../../common/clock.js';
import { chatError } from '../../common/errors.js';
import { humanSize } from '../../common/size.js';
import { MAX_CHUNKS_IN_FLIGHT, SEAL_OVERHEAD, type ClientMessage, type ServerMessage, type TransferEvent, type TransferFailure } from '../../common/protocol.js';
import { fileWindow, type ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Endpoint, Outbox } from './outbox.js';
import type { Session } from './session.js';

export type TransfersConfig = Pick<ServerConfig, 'maxFile' | 'fileRate' | 'pmTimeout' | 'maxOutput'>;

/**
 * Transfers one user may take part in at once: those they send, answered or not, and those they
 * receive once they said yes. An offer takes a place of its sender's only: were it to take one of
 * the receiver's too, two offers from a stranger, renewed as they expire, would keep the receiver
 * from sending or receiving anything.
 */
export const MAX_PER_USER = 2;
/** Offers one user may have waiting for their answer: what strangers can make them hold. */
export const MAX_OFFERS_WAITING = 4;
/** Of those, from one sender: one stranger cannot fill them. */
export const MAX_OFFERS_FROM_ONE = 1;

/** Who takes part in transfers, as the room knows them, and when they go (see Room's events). */
export interface TransferPeople<E extends Endpoint> {
  find(name: string): Session<E> | undefined;
  on(event: 'detached' | 'ended', listener: (s: Session<E>) => void): unknown;
}

/**
 * Whether this server can hand file chunks to `s`. On a cluster a user connected to another
 * server cannot be reached: chunks are relayed, never put in the shared log (they would fill
 * Redis with files), so such an offer is refused in words.
 */
export interface Here<E extends Endpoint> {
  here(s: Session<E>): boolean;
}

interface Transfer<E extends Endpoint> {
  readonly id: string;
  readonly key: string;
  readonly from: Session<E>;
  readonly to: Session<E>;
  readonly size: number;
  /** The offer's name and digest were sealed: the chunks must be too. */
  readonly sealed: boolean;
  /** offered → running (accepted) → sent (every byte relayed; the receiver checks it). */
  state: 'offered' | 'running' | 'sent';
  nextSeq: number;
  /** File bytes relayed so far. */
  bytes: number;
  /** Relayed and not acknowledged, oldest first: [seq, file bytes]. */
  readonly unacked: [number, number][];
  unackedBytes: number;
  /** When it last moved (monotonic): offered, accepted, a chunk, an ack. */
  since: number;
  /** When the receiver said yes (monotonic): the transfer's own time, which the log reports, starts there. */
  accepted: number;
}

/** A sender's allowance of file bytes (a token bucket refilled at --file-rate). */
interface Bucket {
  tokens: number;
  at: number;
}

const FAILED: Record<TransferFailure, (t: { from: string; to: string }) => string> = {
  lost: ({ from }) => `${from}'s connection was lost`,
  oversent: ({ from }) => `${from} sent more than the size offered (cut off)`,
  rate: ({ from }) => `${from} sent faster than this server allows (cut off)`,
  window: ({ from }) => `${from} sent more than the window allows before acknowledgements (cut off)`,
  protocol: ({ from }) => `${from}'s client broke the transfer's rules (a chunk out of order, or of the wrong kind)`,
  stalled: () => 'it made no progress for too long (has the receiver stopped reading?)',
  check: ({ to }) => `${to} found that the file does not match the size and SHA-256 offered; nothing was kept`,
};

export class Transfers<E extends Endpoint = Endpoint> {
  private readonly byKey = new Map<string, Transfer<E>>();
  /** Each user's transfers (folded name), sending or receiving: at most MAX_PER_USER + MAX_OFFERS_WAITING. */
  private readonly byUser = new Map<string, Set<Transfer<E>>>();
  private readonly buckets = new Map<string, Bucket>();
  readonly window: number;
  /** File bytes relayed, all transfers together (for /metrics). */
  relayed = 0;
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
    private readonly here: Here<E> = { here: () => true },
  ) {
    this.window = fileWindow(config.maxOutput);
    // A transfer does not survive its sender's or receiver's connection: nothing is kept to resume it.
    people.on('detached', (s) => this.gone(s.key));
    people.on('ended', (s) => this.gone(s.key));
  }

  /** Transfers under way (offered or running). */
  get size(): number {
    return this.byKey.size;
  }

  /** file_offer: `me` offers `msg.to` a file. Throws the refusal. */
  offer(me: Session<E>, msg: ClientMessage<'file_offer'>): void {
    const to = this.people.find(msg.to);
    if (!to) throw chatError('NO_SUCH_USER', msg.to);
    if (to === me) throw chatError('FILE_SELF');
    if (!to.features.has('files')) throw chatError('FILES_UNSUPPORTED', to.name);
    if (!this.here.here(to)) throw chatError('FILE_ELSEWHERE', to.name);
    if (this.config.maxFile === 0) throw chatError('FILE_BAD_OFFER', 'this server relays no files');
    if (msg.size > this.config.maxFile) throw chatError('FILE_TOO_BIG', msg.size, this.config.maxFile);
    if (msg.size < 1) throw chatError('FILE_BAD_OFFER', 'an empty file is not sent');
    const open = msg.name !== undefined && msg.sha256 !== undefined;
    if (open === (msg.meta !== undefined) || (!open && (msg.name !== undefined || msg.sha256 !== undefined))) {
      throw chatError('FILE_BAD_OFFER', 'give the name and sha256, or the sealed meta, not both');
    }
    const key = `${me.key}/${msg.id}`;
    if (this.byKey.has(key)) throw chatError('FILE_ID_TAKEN', msg.id);
    if (this.places(me.key) >= MAX_PER_USER) throw chatError('FILE_BUSY', 'you');
    if (this.places(to.key) >= MAX_PER_USER) throw chatError('FILE_BUSY', to.name);
    this.roomToWait(me, to);
    const now = this.clock.monotonic();
    const t: Transfer<E> = {
      id: msg.id, key, from: me, to, size: msg.size, sealed: !open, state: 'offered',
      nextSeq: 0, bytes: 0, unacked: [], unackedBytes: 0, since: now, accepted: now,
    };
    this.byKey.set(key, t);
    this.index(me.key).add(t);
    this.index(to.key).add(t);
    this.outcomes.offered++;
    const described = open ? { name: msg.name!, sha256: msg.sha256! } : { meta: msg.meta! };
    this.tell(to, t, 'offer', `${me.name} wants to send you a file (${humanSize(msg.size)})`, { size: msg.size, ...described });
    this.tell(me, t, 'offered', `File offered to ${to.name} (${humanSize(msg.size)}); waiting for the answer`, { size: msg.size });
    this.log.info(`File transfer ${key} offered by ${me.name} to ${to.name} (${msg.size} bytes${t.sealed ? ', end-to-end encrypted' : ''})`);
  }

  /** file_answer: the receiver says yes or no. */
  answer(me: Session<E>, msg: ClientMessage<'file_answer'>): void {
    const t = this.received(me, msg.from, msg.id);
    if (t.state !== 'offered') throw chatError('FILE_NO_SUCH', msg.id);
    if (!msg.accept) {
      this.outcomes.refused++;
      this.log.info(`File transfer ${t.key} refused by ${me.name}`);
      return this.finish(t, 'refused', {
        from: `${me.name} refused your file`,
        to: `You refused the file from ${t.from.name}`,
      });
    }
    // The yes takes the receiver's place; the offer waits on while none is free.
    if (this.places(me.key) >= MAX_PER_USER) throw chatError('FILE_BUSY', 'you');
    t.state = 'running';
    t.since = t.accepted = this.clock.monotonic();
    this.log.info(`File transfer ${t.key} accepted by ${me.name}`);
    this.tell(t.from, t, 'accepted', `${me.name} accepted your file; sending`);
    this.tell(me, t, 'accepted', `Receiving the file from ${t.from.name}`);
  }

  /** file_chunk: the next chunk of `me`'s transfer, relayed to the receiver at once. */
  chunk(me: Session<E>, msg: ClientMessage<'file_chunk'>): void {
    const t = this.byKey.get(`${me.key}/${msg.id}`);
    if (!t || t.from !== me) throw chatError('FILE_NO_SUCH', msg.id);
    if (t.state === 'offered') throw chatError('FILE_NOT_STARTED', msg.id);
    const sealed = msg.sealed === true;
    const bytes = msg.data.length - (sealed ? SEAL_OVERHEAD : 0);
    if (t.state === 'sent') return this.fail(t, 'oversent');
    if (msg.seq !== t.nextSeq || sealed !== t.sealed || bytes < 1) return this.fail(t, 'protocol');
    if (t.bytes + bytes > t.size) return this.fail(t, 'oversent');
    const full = t.unacked.length >= MAX_CHUNKS_IN_FLIGHT || t.unackedBytes + bytes > this.window;
    if (t.unacked.length > 0 && full) return this.fail(t, 'window');
    if (!this.spend(me.key, bytes)) return this.fail(t, 'rate');
    this.out.toUser(t.to.key, { type: 'file_chunk', id: t.id, from: me.name, seq: msg.seq, data: msg.data, ...(sealed ? { sealed } : {}) });
    this.relayed += bytes;
    t.nextSeq++;
    t.bytes += bytes;
    t.unacked.push([msg.seq, bytes]);
    t.unackedBytes += bytes;
    t.since = this.clock.monotonic();
    if (t.bytes === t.size) t.state = 'sent';
  }

  /** file_ack: the receiver has every chunk up to `seq`; the sender may send more. */
  ack(me: Session<E>, msg: ClientMessage<'file_ack'>): void {
    const t = this.received(me, msg.from, msg.id);
    const last = t.unacked.at(-1);
    if (!last || msg.seq < t.unacked[0]![0] || msg.seq > last[0]) return this.fail(t, 'protocol', me);
    while (t.unacked.length > 0 && t.unacked[0]![0] <= msg.seq) t.unackedBytes -= t.unacked.shift()![1];
    t.since = this.clock.monotonic();
    this.out.toUser(t.from.key, { type: 'file_ack', id: t.id, to: me.name, seq: msg.seq });
  }

  /** file_done: the receiver has the whole file, and it checked out (or did not). */
  done(me: Session<E>, msg: ClientMessage<'file_done'>): void {
    const t = this.received(me, msg.from, msg.id);
    if (t.state !== 'sent') return this.fail(t, 'protocol', me);
    if (!msg.ok) return this.fail(t, 'check');
    this.outcomes.done++;
    const seconds = ((this.clock.monotonic() - t.accepted) / 1000).toFixed(1);
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${me.name} completed (${t.size} bytes in ${seconds} s)`);
    this.finish(t, 'done', {
      from: `${me.name} received your file (${humanSize(t.size)}) and checked it`,
      to: `Received the file from ${t.from.name} (${humanSize(t.size)})`,
    });
  }

  /** file_cancel: either side stops a transfer. */
  cancel(me: Session<E>, msg: ClientMessage<'file_cancel'>): void {
    const t = msg.from === undefined ? this.byKey.get(`${me.key}/${msg.id}`) : this.received(me, msg.from, msg.id);
    if (!t || (t.from !== me && t.to !== me)) throw chatError('FILE_NO_SUCH', msg.id);
    this.outcomes.cancelled++;
    this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} cancelled by ${me.name} (${t.bytes} of ${t.size} bytes sent)`);
    const mine = 'You cancelled the file transfer';
    const theirs = `${me.name} cancelled the file transfer`;
    this.finish(t, 'cancelled', t.from === me ? { from: mine, to: theirs } : { from: theirs, to: mine }, { by: me.name });
  }

  /** `user` lost their connection, or their session ended: their transfers fail, saying whose it was. */
  gone(user: string): void {
    for (const t of [...(this.byUser.get(user) ?? [])]) this.fail(t, 'lost', t.from.key === user ? t.from : t.to);
  }

  /**
   * Housekeeping (the server's sweep, every second): offers unanswered and transfers without
   * progress for --pm-timeout end; full allowances of users with no transfer are dropped.
   */
  sweep(): void {
    const now = this.clock.monotonic();
    const limit = this.config.pmTimeout * 1000;
    for (const t of [...this.byKey.values()]) {
      if (now - t.since < limit) continue;
      if (t.state !== 'offered') {
        this.fail(t, 'stalled');
        continue;
      }
      this.outcomes.expired++;
      this.log.info(`File transfer ${t.key} from ${t.from.name} to ${t.to.name} expired unanswered`);
      const said = `The file offer from ${t.from.name} to ${t.to.name} expired after ${this.config.pmTimeout} s without an answer`;
      this.finish(t, 'expired', { from: said, to: said });
    }
    for (const [user, b] of this.buckets) if (!this.byUser.has(user) && this.refill(b, now) >= this.capacity) this.buckets.delete(user);
  }

  /** The transfer `from`/`id` offered to `me`, or the refusal. */
  private received(me: Session<E>, from: string, id: string): Transfer<E> {
    const sender = this.people.find(from);
    const t = sender && this.byKey.get(`${sender.key}/${id}`);
    if (!t || t.to !== me) throw chatError('FILE_NO_SUCH', id);
    return t;
  }

  private fail(t: Transfer<E>, reason: TransferFailure, blamed?: Session<E>): void {
    if (!this.byKey.has(t.key)) return;
    this.outcomes.failed++;
    const why = FAILED[reason]({ from: (blamed ?? t.from).name, to: t.to.name });
    const warn = reason === 'lost' || reason === 'check' || reason === 'stalled' ? 'info' : 'warn';
    this.log[warn](`File transfer ${t.key} from ${t.from.name} to ${t.to.name} failed after ${t.bytes} of ${t.size} bytes: ${reason}`);
    const said = `The file transfer from ${t.from.name} to ${t.to.name} failed: ${why}`;
    this.finish(t, 'failed', { from: said, to: said }, { reason });
  }

  /** Removes `t` and tells both sides. */
  private finish(t: Transfer<E>, event: TransferEvent, said: { from: string; to: string }, extra: { by?: string; reason?: TransferFailure } = {}): void {
    this.byKey.delete(t.key);
    for (const s of [t.from, t.to]) {
      const set = this.byUser.get(s.key);
      set?.delete(t);
      if (set?.size === 0) this.byUser.delete(s.key);
    }
    this.tell(t.from, t, event, said.from, extra);
    this.tell(t.to, t, event, said.to, extra);
  }

  private tell(s: Session<E>, t: Transfer<E>, event: TransferEvent, message: string, extra: Partial<ServerMessage<'transfer'>> = {}): void {
    this.out.toUser(s.key, { type: 'transfer', event, id: t.id, from: t.from.name, to: t.to.name, message, ts: this.clock.now(), ...extra });
  }

  /** The transfers that take a place of `user`'s: those they send, and those they receive once accepted. */
  private places(user: string): number {
    let n = 0;
    for (const t of this.byUser.get(user) ?? []) if (t.from.key === user || t.state !== 'offered') n++;
    return n;
  }

  /** Refuses an offer `to` has no room to keep waiting: too many waiting, or enough from `me`. */
  private roomToWait(me: Session<E>, to: Session<E>): void {
    const waiting = [...(this.byUser.get(to.key) ?? [])].filter((t) => t.to === to && t.state === 'offered');
    if (waiting.filter((t) => t.from === me).length >= MAX_OFFERS_FROM_ONE) throw chatError('FILE_OFFER_PENDING', to.name);
    if (waiting.length >= MAX_OFFERS_WAITING) throw chatError('FILE_OFFERS_FULL', to.name, MAX_OFFERS_WAITING);
  }

  private index(user: string): Set<Transfer<E>> {
    let set = this.byUser.get(user);
    if (!set) this.byUser.set(user, (set = new Set()));
    return set;
  }

  /** Two seconds of --file-rate and a window: an honest sender pacing itself never hits it. */
  private get capacity(): number {
    return 2 * this.config.fileRate + this.window;
  }

  /** Takes `bytes` from `user`'s allowance; false when there are not that many. */
  private spend(user: string, bytes: number): boolean {
    const now = this.clock.monotonic();
    let b = this.buckets.get(user);
    if (!b) this.buckets.set(user, (b = { tokens: this.capacity, at: now }));
    if (this.refill(b, now) < bytes) return false;
    b.tokens -= bytes;
    return true;
  }

  private refill(b: Bucket, now: number): number {
    b.tokens = Math.min(this.capacity, b.tokens + ((now - b.at) / 1000) * this.config.fileRate);
    b.at = now;
    return b.tokens;
  }
}
