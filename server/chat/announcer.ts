/**
 * Who is told that someone came or went. While the room is small (up to announceLimit users) each
 * join and leave goes out at once, with the online list, up to ANNOUNCED_PER_S a second; in a
 * large room, and past those, they are gathered and sent as one 'presence' summary a second, so a
 * login storm costs O(users) a second, not O(users) a login, and at most SUMMARY_RECIPIENTS_PER_S
 * socket writes a second however large the room.
 */
import type { Clock } from '../../common/clock.js';
import type { ServerMessage } from '../../common/protocol.js';
import { NOTICES } from './notices.js';
import { namesThatFit } from './online-list.js';
import type { Endpoint, Outbox } from './outbox.js';

/**
 * Users a second that presence summaries go to, at most: a summary goes to everyone online, one
 * socket write each (~10-30 µs here), so in a room of N users above this a summary goes out
 * every N / SUMMARY_RECIPIENTS_PER_S seconds instead of every second. Profiled, the summaries of
 * a 10,000-user login storm were most of the event loop's socket writes, more than the logins'.
 */
export const SUMMARY_RECIPIENTS_PER_S = 1000;

/**
 * Joins and leaves a second told one by one in a small room; the rest wait for the summary. A
 * guest logging in and out in a loop (no password to hash) made 1,300 of them a second, each
 * with the online list: 850 KiB/s to everyone in a room of 60, enough to have a reader on a slow
 * link dropped for leaving output unread. People come and go slower than this.
 */
export const ANNOUNCED_PER_S = 10;

/** What the announcer needs of the room: who is online. */
export interface Roll {
  readonly count: number;
  /** Online names, sorted. */
  online(): readonly string[];
}

export class Announcer<E extends Endpoint> {
  /**
   * Joins and leaves waiting for the next summary (a large room, or past ANNOUNCED_PER_S), as the
   * change since the last: a name is in one of them at most, or in neither if it is back as it was.
   */
  private pending = { joined: new Set<string>(), left: new Set<string>() };
  /** Not before this (monotonic) is the next summary sent (see SUMMARY_RECIPIENTS_PER_S). */
  private nextSummary = -Infinity;
  /** The second (monotonic) in which joins and leaves were last told at once, and how many. */
  private told = { since: -Infinity, count: 0 };
  /** How many names of the online list `of` fit a message (see online-list.ts). */
  private fitted: { of: readonly string[] | null; names: number } = { of: null, names: 0 };

  /** `changed` hears the online list each time one went out (the room's `online` event). */
  constructor(
    private readonly roll: Roll,
    private readonly config: { readonly announceLimit: number },
    /** How often flush() is called (the room's sweep). */
    private readonly periodMs: number,
    private readonly out: Outbox<E>,
    private readonly clock: Clock,
    private readonly changed: (online: readonly string[]) => void,
  ) {}

  /**
   * The online list as sent to users: whole while the room is small, omitted when it is larger
   * than announceLimit (a 10,000-name list per join would cost O(users²) bytes; /who pages it).
   * Long names may not all fit a frame's header: then the first of them, and `count`.
   */
  onlineField(): { online?: string[]; count: number } {
    const count = this.roll.count;
    if (count > this.config.announceLimit) return { count };
    const online = this.roll.online();
    // The roll keeps one sorted list until it changes: measured once, not at each notice.
    if (online !== this.fitted.of) this.fitted = { of: online, names: namesThatFit(online) };
    return { online: online.slice(0, this.fitted.names), count };
  }

  /** Tells everyone but `who` (a folded name: `key`) that they joined or left: now, or in the next summary. */
  announce(event: 'join' | 'leave' | 'offline', who: { name: string; key: string }, text: string): void {
    if (this.roll.count <= this.config.announceLimit && this.pending.joined.size + this.pending.left.size === 0 && this.mayTell()) {
      const notice: ServerMessage<'notice'> = { type: 'notice', event, message: text, ts: this.clock.now(), user: who.name, ...this.onlineField() };
      this.out.toRoom(notice, who.key);
      this.changed(this.roll.online());
      return;
    }
    // What the summary says is the change since the last one: someone who left and came back
    // (or came and went) meanwhile is not named at all, never "joined; left" while online.
    const { joined, left } = this.pending;
    if (event === 'join') {
      if (!left.delete(who.name)) joined.add(who.name);
    } else if (!joined.delete(who.name)) left.add(who.name);
  }

  /** Whether one more join or leave may be told at once in this second (see ANNOUNCED_PER_S). */
  private mayTell(): boolean {
    const now = this.clock.monotonic();
    if (now - this.told.since >= 1000) this.told = { since: now, count: 0 };
    return this.told.count++ < ANNOUNCED_PER_S;
  }

  /**
   * Sends the gathered joins and leaves as one summary, if any and if it is time (`now`,
   * monotonic): every second, or in a room of more than SUMMARY_RECIPIENTS_PER_S users, every
   * N / SUMMARY_RECIPIENTS_PER_S seconds.
   */
  flush(now: number): void {
    const { joined, left } = this.pending;
    if (joined.size + left.size === 0 || now < this.nextSummary) return;
    const count = this.roll.count;
    // Half a period early, so a sweep that comes a little before its second still sends.
    this.nextSummary = now + this.periodMs * Math.max(1, count / SUMMARY_RECIPIENTS_PER_S) - this.periodMs / 2;
    this.pending = { joined: new Set(), left: new Set() };
    const message = NOTICES.presence([...joined], [...left], count);
    this.out.toRoom({ type: 'notice', event: 'presence', message, ts: this.clock.now(), ...this.onlineField() });
    this.changed(this.roll.online());
  }
}
