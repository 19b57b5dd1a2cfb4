/**
 * What the room recalls for a user: the group lines said before (replayed at login, paged back
 * with /history) and the private messages that waited while they were offline. Lines it sends
 * are marked (`replay`, `offline`) and keep their original id and time.
 */
import { chatError } from '../../common/errors.js';
import type { ServerMessage } from '../../common/protocol.js';
import type { Logger } from '../logger.js';
import type { History, HistoryLine, Kept, Mailbox } from './history.js';
import { NOTICES } from './notices.js';
import type { Outbox } from './outbox.js';

/** At most this many lines a /history page. */
export const PAGE_MAX = 200;
/** At most this many missed lines replayed at a login that says what it saw last. */
export const CATCH_UP_MAX = 1000;

export interface RecallConfig {
  /** Lines replayed at login. */
  historyOnJoin: number;
  /** Messages that may wait for one offline account. */
  offlineMax: number;
}

/** Tells one user (folded name) something, as a notice. */
type Notice = (to: string, event: ServerMessage<'notice'>['event'], text: string, user?: string) => void;

export class Recall {
  constructor(
    private readonly history: History,
    private readonly mailbox: Mailbox,
    private readonly out: Outbox,
    private readonly notice: Notice,
    private readonly log: Logger,
    private readonly config: RecallConfig,
  ) {}

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
   * few, then the marker where live chat begins.
   */
  atLogin(user: string, name: string, guest: boolean, since: number | undefined): void {
    if (!guest) this.deliverWaiting(user, name);
    if (!this.history.enabled) return;
    // Nothing to replay, nothing to mark.
    if (since === undefined) {
      const lines = this.history.last(this.config.historyOnJoin);
      if (lines.length === 0) return;
      this.replay(user, lines);
      this.notice(user, 'live', NOTICES.live(lines.length));
      return;
    }
    const { lines, skipped } = this.history.after(since, CATCH_UP_MAX);
    if (lines.length === 0) return;
    this.replay(user, lines);
    this.notice(user, 'live', NOTICES.caughtUp(lines.length, skipped));
  }

  /** Hands `user` the messages that waited for them, marked with when they were sent. */
  deliverWaiting(user: string, name: string): void {
    const waiting = this.mailbox.take(user);
    if (waiting.length === 0) return;
    this.notice(user, 'offline_delivered', NOTICES.offlineDelivered(waiting.length));
    for (const m of waiting) {
      const action = m.action ? { action: true } : {};
      this.out.toUser(user, { type: 'msg', id: m.id, from: m.from, ts: m.ts, scope: 'private', to: m.to, text: m.text, offline: true, ...action });
    }
    this.log.info(`Offline messages: ${waiting.length} delivered to ${name}`);
  }

  /** /history: up to `count` lines older than `before` (default: from the newest), to `user`. */
  page(user: string, before: number | undefined, count: number): void {
    if (!this.history.enabled) {
      this.notice(user, 'history', NOTICES.historyOff());
      return;
    }
    const n = Math.min(Math.max(1, count), PAGE_MAX);
    const { lines, older } = this.history.before(before ?? Number.MAX_SAFE_INTEGER, n);
    this.replay(user, lines);
    this.notice(user, 'history', NOTICES.historyPage(lines.length, older));
  }

  /**
   * Keeps a private message for an offline account and tells the sender once it is durable.
   * Refused when `to` already has offlineMax waiting.
   */
  async keep(from: string, fromName: string, to: string, message: Kept): Promise<void> {
    const waiting = this.mailbox.waiting(to);
    if (waiting >= this.config.offlineMax) throw chatError('MAILBOX_FULL', message.to, waiting);
    await this.mailbox.put(to, message);
    this.log.info(`Offline messages: one from ${fromName} kept for ${message.to}`);
    this.notice(from, 'offline_stored', NOTICES.offlineStored(message.to), message.to);
  }

  private replay(user: string, lines: HistoryLine[]): void {
    for (const l of lines) {
      const action = l.action ? { action: true } : {};
      this.out.toUser(user, { type: 'msg', id: l.id, from: l.from, ts: l.ts, scope: 'group', text: l.text, replay: true, ...action });
    }
  }
}
