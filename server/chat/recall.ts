/**
 * What the room recalls for a user: the group lines said before (replayed at login, paged back
 * with /history) and the private messages that waited while they were offline. Lines it sends
 * are marked (`replay`, `offline`) and keep their original id and time.
 */
import type { Clock } from '../../common/clock.js';
import { chatError } from '../../common/errors.js';
import type { ServerMessage } from '../../common/protocol.js';
import { fileWindow } from '../config.js';
import type { Logger } from '../logger.js';
import { MailboxFailed, type History, type HistoryLine, type Kept, type Mailbox } from './history.js';
import { NOTICES } from './notices.js';
import type { Outbox } from './outbox.js';
import { Pacer, type Job } from './pacer.js';
import { Receipts } from './receipts.js';

/** At most this many lines a /history page. */
export const PAGE_MAX = 200;
/** At most this many missed lines replayed at a login that says what it saw last. */
export const CATCH_UP_MAX = 1000;
/** At most this many bytes of text in one batch of a bulk reply, or one /history page. */
export const BATCH_TEXT_MAX = 256 * 1024;
/** At most this many messages in one batch, whatever their size. */
const BATCH_LINES = 256;

/**
 * Bytes of text per batch for a server whose --max-output is `maxOutput`: a quarter of it, the
 * rule of a file transfer's window (fileWindow), so a batch waiting unread, with live chat
 * beside it, never makes its reader look slow.
 */
export function batchText(maxOutput: number): number {
  return Math.min(BATCH_TEXT_MAX, fileWindow(maxOutput));
}

/**
 * How many messages one sender may keep waiting for one account: a quarter of the account's
 * mailbox (at least one), so one sender cannot fill it and keep everyone else out.
 */
export function senderShare(offlineMax: number): number {
  return Math.max(1, Math.floor(offlineMax / 4));
}

/**
 * The first lines of `lines` (or, `fromEnd`, the last) whose texts add up to at most `max`
 * bytes of UTF-8, as --max-output counts them; always at least one, so a line longer than a batch
 * still goes, alone.
 */
export function fitText<T extends { text: string }>(lines: readonly T[], max: number, fromEnd = false): T[] {
  let size = 0;
  let n = 0;
  while (n < lines.length) {
    const bytes = Buffer.byteLength(lines[fromEnd ? lines.length - 1 - n : n]!.text);
    if (n > 0 && size + bytes > max) break;
    size += bytes;
    n++;
  }
  return fromEnd ? lines.slice(lines.length - n) : lines.slice(0, n);
}

export interface RecallConfig {
  /** Lines replayed at login. */
  historyOnJoin: number;
  /** Messages that may wait for one offline account. */
  offlineMax: number;
  /** Characters of text per batch of a bulk reply and per /history page (see batchText). */
  batchText: number;
  /** Milliseconds a batch of offline messages waits for its receipt (see Receipts; the room's is the heartbeat timeout). */
  receiptWait: number;
}

/** Tells one user (folded name) something, as a notice. */
type Notice = (to: string, event: ServerMessage<'notice'>['event'], text: string, user?: string) => void;

export class Recall {
  /** Offline messages and catch-ups go out one batch per drain (offline messages to a client with receipts, one per receipt). */
  private readonly pacer: Pacer;
  /** Users with a delivery of offline messages queued that has not started: it will see new ones. */
  private readonly deliveryQueued = new Set<string>();
  /** The batches of offline messages waiting for their client's receipt. */
  private readonly receipts: Receipts;

  constructor(
    private readonly history: History,
    private readonly mailbox: Mailbox,
    private readonly out: Outbox,
    private readonly notice: Notice,
    private readonly log: Logger,
    private readonly config: RecallConfig,
    clock: Clock,
  ) {
    this.pacer = new Pacer((user, then) => out.drained(user, then));
    this.receipts = new Receipts(clock, config.receiptWait);
  }

  /** The highest id either store has kept: ids go on from there. */
  get lastId(): number {
    return Math.max(this.history.lastId, this.mailbox.lastId);
  }

  /** Keeps a group line. */
  record(line: HistoryLine): void {
    if (this.history.enabled) this.history.record(line);
  }

  /**
   * Right after `user` (folded; `name` as shown) logged in, before anything live: the messages
   * that waited for them, then the lines since `since` (the last id their client saw) or the last
   * few, then the marker where live chat begins. `receipts`: their client sends receipts (see
   * deliverWaiting).
   */
  atLogin(user: string, name: string, guest: boolean, since: number | undefined, receipts = false): void {
    if (!guest) this.deliverWaiting(user, name, receipts);
    if (!this.history.enabled) return;
    // Nothing to replay, nothing to mark.
    if (since === undefined) {
      const lines = this.history.last(this.config.historyOnJoin);
      if (lines.length > 0) this.pacer.run(user, this.replayJob(user, lines, NOTICES.live(lines.length)));
      return;
    }
    const { lines, skipped } = this.history.after(since, CATCH_UP_MAX);
    if (lines.length > 0) this.pacer.run(user, this.replayJob(user, lines, NOTICES.caughtUp(lines.length, skipped)));
  }

  /** Replays `lines` to `user` a batch per drain, then marks where live chat begins with `live`. */
  private replayJob(user: string, lines: HistoryLine[], live: string): Job {
    let at = 0;
    return {
      step: () => {
        if (at === lines.length) return false;
        const batch = this.nextBatch(lines, at);
        at += batch.length;
        this.replay(user, batch);
        if (at === lines.length) this.notice(user, 'live', live);
        return at < lines.length;
      },
    };
  }

  /**
   * Hands `user` the messages that waited for them, marked with when they were sent, a batch at a
   * time. With `receipts` (their client said it sends them) the last of each batch is marked
   * `receipt`, and the batch is deleted from the mailbox, and the next one sent, once the client
   * says it arrived (received()); without, once their connection has taken it. A connection lost
   * before that leaves the batch and the rest waiting for the next login or resume. A receipt that
   * does not come in time (receiptWait) ends the delivery too, the batch and the rest kept, so what
   * comes after it at login (the lines replayed) goes on: sending the rest without receipts would
   * lose them with a connection that dies, and with receipts each would wait as long again. A
   * receipt that comes later still deletes its batch, and the delivery starts again from there.
   */
  deliverWaiting(user: string, name: string, receipts = false, announce = true): void {
    // One not started yet will see this message too.
    if (this.deliveryQueued.has(user)) return;
    this.deliveryQueued.add(user);
    this.pacer.run(user, this.deliveryJob(user, name, receipts, announce));
  }

  /** `user`'s client received the batch of offline messages ending at `id` (see Receipts.received). */
  received(user: string, id: number): void {
    this.receipts.received(user, id);
  }

  /**
   * `user`'s connection is gone, or taken over by another: a batch waiting for its receipt stays
   * kept, and its delivery stops (the next login or resume starts another).
   */
  cut(user: string): void {
    this.receipts.cut(user);
  }

  /** `announce`: tell the user how many waited before handing them (not when going on with the rest). */
  private deliveryJob(user: string, name: string, receipts: boolean, announce: boolean): Job {
    let waiting: readonly Kept[] | null = null;
    let at = 0;
    /** How many were deleted from the mailbox, delivered for good. */
    let done = 0;
    /** The last id of the batch handed over before this step, if not yet marked taken. */
    let handed: number | null = null;
    /** Its receipt did not come in time: the delivery ends, nothing more deleted. */
    let overdue = false;
    /** With receipts: what the step after a batch waits for. */
    const wait = (then: (open: boolean) => void): void => {
      const upTo = handed!;
      const sent = at - done;
      this.receipts.expect(user, upTo, (outcome) => {
        if (outcome === 'late') return this.confirmedLate(user, name, upTo, sent);
        // Overdue: the next step ends the delivery, and the pacer goes on with what follows it.
        overdue = outcome === 'overdue';
        then(outcome !== 'cut');
      });
    };
    return {
      step: () => {
        if (waiting === null) {
          this.deliveryQueued.delete(user);
          // What waits now; what is kept meanwhile goes to the next delivery (see leave()).
          waiting = [...this.mailbox.peek(user)];
          if (announce && waiting.length > 0) this.notice(user, 'offline_delivered', NOTICES.offlineDelivered(waiting.length));
        }
        if (overdue) {
          const seconds = this.config.receiptWait / 1000;
          this.log.warn(`Offline messages: ${name}'s client did not confirm receiving ${at - done} within ${seconds} s; they stay kept for the next login, with the ${waiting.length - at} not sent (a receipt that comes later still counts)`);
          return false;
        }
        if (handed !== null) {
          this.mailbox.taken(user, handed);
          done = at;
        }
        if (at === waiting.length) {
          if (at > 0) this.log.info(`Offline messages: ${at} delivered to ${name}`);
          return false;
        }
        const batch = this.nextBatch(waiting, at);
        at += batch.length;
        handed = batch.at(-1)!.id;
        for (const m of batch) this.out.toUser(user, offlineMsg(m, receipts && m.id === handed));
        return true;
      },
      ...(receipts ? { wait } : {}),
      stopped: () => {
        this.deliveryQueued.delete(user);
        // Stopped by a lost connection, a logout, a takeover or a resume (which starts another).
        if (waiting && at > 0) this.log.info(`Offline messages: delivery to ${name} stopped after ${done} of ${waiting.length}; the rest wait for the next login or resume`);
      },
    };
  }

  /**
   * `user`'s client confirmed after its delivery gave up waiting: the batch goes, and a new
   * delivery hands the rest. Without a second "came while you were away": the user was told at
   * login how many waited, and these are the rest of them.
   */
  private confirmedLate(user: string, name: string, upTo: number, sent: number): void {
    this.mailbox.taken(user, upTo);
    this.log.info(`Offline messages: ${name}'s client confirmed receiving ${sent} late; deleted`);
    this.deliverWaiting(user, name, true, false);
  }

  /** The batch of `list` from `at`: at most BATCH_LINES messages and a batch's bytes. */
  private nextBatch<T extends { text: string }>(list: readonly T[], at: number): T[] {
    return fitText(list.slice(at, at + BATCH_LINES), this.config.batchText);
  }

  /** /history: up to `count` lines older than `before` (default: from the newest), to `user`. */
  page(user: string, before: number | undefined, count: number): void {
    if (!this.history.enabled) {
      this.notice(user, 'history', NOTICES.historyOff());
      return;
    }
    const n = Math.min(Math.max(1, count), PAGE_MAX);
    const found = this.history.before(before ?? Number.MAX_SAFE_INTEGER, n);
    // A page is bounded by its text too (the newest lines of it stay): the rest is "older", the
    // next /history's, so a page never weighs more than a batch whatever the lines hold.
    const lines = fitText(found.lines, this.config.batchText, true);
    const older = found.older || lines.length < found.lines.length;
    this.replay(user, lines);
    this.notice(user, 'history', NOTICES.historyPage(lines.length, older));
  }

  /**
   * Keeps a private message for an offline account and tells the sender once it is durable.
   * Refused when `to` already has offlineMax waiting, or this sender their share of it, or this
   * sender has offlineMax waiting in all.
   */
  async keep(from: string, fromName: string, to: string, message: Kept): Promise<void> {
    const waiting = this.mailbox.waiting(to);
    if (waiting >= this.config.offlineMax) throw chatError('MAILBOX_FULL', message.to, { waiting });
    const share = senderShare(this.config.offlineMax);
    const mine = this.mailbox.waitingFrom(to, fromName);
    if (mine >= share) throw chatError('MAILBOX_FULL', message.to, { mine, share, max: this.config.offlineMax });
    // In all, whoever they are for: a sender's share of each account, times every account, was
    // a bound that grew with the accounts (25 × 64 KiB each, kept in memory until taken).
    const sent = this.mailbox.fromSender(fromName);
    if (sent >= this.config.offlineMax) throw chatError('MAILBOX_FULL', message.to, { sent });
    try {
      await this.mailbox.put(to, message);
    } catch (e) {
      // A store that failed is no fault of the sender's: told, they may try again, and their
      // connection stays (a refusal, not an internal error). Anything else is a bug: thrown on.
      if (!(e instanceof MailboxFailed)) throw e;
      this.log.error(`Offline messages: one from ${fromName} for ${message.to} not kept: ${e.message}`);
      throw chatError('MAILBOX_FAILED', message.to);
    }
    this.log.info(`Offline messages: one from ${fromName} kept for ${message.to}`);
    this.notice(from, 'offline_stored', NOTICES.offlineStored(message.to), message.to);
  }

  private replay(user: string, lines: readonly HistoryLine[]): void {
    for (const l of lines) {
      const action = l.action ? { action: true } : {};
      this.out.toUser(user, { type: 'msg', id: l.id, from: l.from, ts: l.ts, scope: 'group', text: l.text, replay: true, ...action });
    }
  }
}

/**
 * A kept message as it is handed over: private, marked as kept while its recipient was away;
 * `receipt`, the last of a batch whose receipt the client is to send.
 */
function offlineMsg(m: Kept, receipt: boolean): ServerMessage<'msg'> {
  const action = m.action ? { action: true } : {};
  return { type: 'msg', id: m.id, from: m.from, ts: m.ts, scope: 'private', to: m.to, text: m.text, offline: true, ...action, ...(receipt ? { receipt: true } : {}) };
}
