/**
 * The room: who is online (one registry keyed by the case-folded name), how sessions start,
 * resume and end, what a line reaches, and who is told what when someone comes or goes. Rules that
 * span several users live here, once, so the handlers stay short. The room is the façade; its
 * parts are beside it, each with its own job: the registry, a session's life from login to end
 * (lifecycle.ts), the lines and where they go, away messages, mutes, heartbeats, what time does
 * on its own (housekeeping.ts), the announcer of joins and leaves, the farewells, the sessions
 * waiting without a connection, its state as plain data (room-state.ts). What stays here is the
 * wiring of those parts and the one way the room speaks (notice, tell).
 *
 * The room knows no sockets, no codec and no bytes: it speaks to users only through its Outbox,
 * in typed messages, and hears of connections only as opaque Endpoints the transport hands it.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../common/clock.js';
import { errorMessage, type ChatError, type Refused } from '../../common/errors.js';
import type { Feature, NoticeEvent } from '../../common/protocol.js';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { Announcer } from './announcer.js';
import { Away } from './away.js';
import type { EndReason } from './farewell.js';
import { Heartbeats, type BeatResult } from './heartbeats.js';
import { sweepRoom, SWEEP_MS, type SweptParts, type Verdicts } from './housekeeping.js';
import { NO_HISTORY, MemoryMailbox, type History, type Mailbox } from './history.js';
import { Lifecycle, type LifeParts } from './lifecycle.js';
import { Lines } from './lines.js';
import { Mutes } from './mutes.js';
import { NOTICES } from './notices.js';
import { whoReply } from './online-list.js';
import type { Endpoint, Outbox } from './outbox.js';
import { Presence } from './presence.js';
import { PrivateChats } from './private.js';
import { Limits } from './ratelimit.js';
import { batchText, Recall } from './recall.js';
import { Registry } from './registry.js';
import { restoreInto, snapshotOf, type RoomState, type SessionData, type StateParts } from './room-state.js';
import type { Credentials, Renewal, Session } from './session.js';
import { Waiting } from './waiting.js';

export type RoomConfig = Pick<
  ServerConfig,
  | 'rateCount'
  | 'rateWindow'
  | 'muteSeconds'
  | 'heartbeatTimeout'
  | 'pmTimeout'
  | 'announceLimit'
  | 'maxPmRequests'
  | 'maxConnections'
  | 'maxPerAddress'
  | 'historyOnJoin'
  | 'offlineMax'
  | 'maxOutput'
>;

/**
 * Events: `online` (sorted names) whenever the online list changes (at most once a second in a
 * large room); `detached` (the session) when a user's connection is lost, `ended` when a session
 * ends (file transfers end with either).
 */
export class Room<E extends Endpoint = Endpoint> extends EventEmitter {
  readonly presence: Presence<Session<E>>;
  readonly privates: PrivateChats<E>;
  /** Flood limits, by account (guests: by address), outliving sessions. */
  readonly limits: Limits;
  /** History and the messages kept for offline accounts. */
  private recall: Recall;
  /** The UDP heartbeat port told to clients at login; set once the socket is bound. */
  heartbeatPort: number | undefined;
  /** The network id sent in login_ok (set at start: kept in the data folder, or the cluster's). */
  network: string | undefined;
  /** The message of the day (--motd), told to each user at login, after the lines replayed; null for none. */
  motd: string | null = null;
  private readonly registry = new Registry<E>();
  private readonly heartbeats: Heartbeats<E>;
  private readonly away = new Away<E>(this);
  /** What a line reaches, and the id it gets. */
  private readonly lines: Lines<E>;
  /** Who is told of joins and leaves, and when. */
  private readonly announcer: Announcer<E>;
  private readonly mutes: Mutes<E>;
  /** Sessions waiting for a resume without a connection (see lost()). */
  private readonly waiting = new Waiting<Session<E>>();
  /** The parts, by name, for those that go through several: a session's life, the state. */
  private readonly parts: LifeParts<E> & StateParts<E> & SweptParts<E>;
  /** How sessions start, resume, wait and end. */
  private readonly life: Lifecycle<E>;

  constructor(
    readonly config: RoomConfig,
    readonly clock: Clock,
    readonly log: Logger,
    private readonly out: Outbox<E>,
    memory: { history?: History; mailbox?: Mailbox } = {},
  ) {
    super();
    this.lines = new Lines(this, this.away, () => this.recall, out, clock, log, config.heartbeatTimeout);
    this.recall = this.remember(memory);
    this.presence = new Presence(config.heartbeatTimeout * 1000);
    this.heartbeats = new Heartbeats(this.presence, this.registry, SWEEP_MS, clock, log);
    const { rateCount, rateWindow, muteSeconds } = config;
    this.limits = new Limits({ count: rateCount, windowMs: rateWindow * 1000, muteMs: muteSeconds * 1000 });
    this.privates = new PrivateChats(this, this.away, clock, log, config.pmTimeout, config.maxPmRequests);
    this.announcer = new Announcer(this.registry, config, SWEEP_MS, out, clock, (online) => this.emit('online', online));
    this.mutes = new Mutes(this.limits, this, config.muteSeconds, clock, log);
    const { registry, heartbeats, presence, waiting, lines, announcer, privates, limits } = this;
    this.parts = { registry, heartbeats, presence, waiting, lines, announcer, privates, limits, recall: () => this.recall };
    this.life = new Lifecycle(this, this.parts, config, out, log);
  }

  /**
   * Where history and offline messages are kept (the server opens them at start, after the
   * room exists). Ids go on from the last one kept, so a client's "since" means the same after
   * a restart.
   */
  remember(memory: { history?: History; mailbox?: Mailbox }): Recall {
    const notice = (to: string, event: NoticeEvent, text: string, user?: string) => this.noticeAll([to], event, text, user);
    const { historyOnJoin, offlineMax, maxOutput, heartbeatTimeout } = this.config;
    // A receipt is awaited as long as a heartbeat is: the time the server already gives a client
    // to show it is there (an IRC client answers PING in it, and the receipt is such a PONG).
    const config = { historyOnJoin, offlineMax, batchText: batchText(maxOutput), receiptWait: heartbeatTimeout * 1000 };
    this.recall = new Recall(memory.history ?? NO_HISTORY, memory.mailbox ?? new MemoryMailbox(), this.out, notice, this.log, config, this.clock);
    this.lines.after(this.recall.lastId);
    return this.recall;
  }

  // ---- lookups -------------------------------------------------------------------------------

  find(name: string): Session<E> | undefined {
    return this.registry.find(name);
  }

  byKey(key: string): Session<E> | undefined {
    return this.registry.byKey(key);
  }

  bySessionId(id: string): Session<E> | undefined {
    return this.registry.bySessionId(id);
  }

  /** `session`'s partner in a private session, if any. */
  partnerOf(session: Session<E>): Session<E> | undefined {
    return this.privates.partnerOf(session);
  }

  /** The display name for a folded key (falls back to the key for users already gone). */
  display(key: string): string {
    return this.byKey(key)?.name ?? key;
  }

  /** Online names, sorted without regard to case (cached until the list changes). */
  online(): readonly string[] {
    return this.registry.online();
  }

  get count(): number {
    return this.registry.count;
  }

  all(): IterableIterator<Session<E>> {
    return this.registry.all();
  }

  // ---- coming and going (see lifecycle.ts) ---------------------------------------------------

  /**
   * Registers a freshly logged-in user reached at `at`, tells them (with what waited for them and
   * what was said before: the lines after `since`, the last id their client saw, if it says) and
   * everyone else.
   */
  login(name: string, guest: boolean, created: boolean, at: E, since?: number, credentials?: Credentials, features: readonly Feature[] = []): Session<E> {
    return this.life.login(name, guest, created, at, since, credentials, features);
  }

  /**
   * Moves a detached (or still attached) session to `at`. A resume counts as a heartbeat, as a
   * login does. `renewal`: whole new credentials when a new client took over with its password
   * (fresh heartbeat id and secret, and the old resume token stops working), and then `features`
   * says what it can do (it may be another program than the one before); else a new resume token
   * alone, with the one the resume was made with (see Session.renewToken).
   */
  resume(session: Session<E>, at: E, renewal: Renewal, features?: readonly Feature[]): void {
    this.life.resume(session, at, renewal, features);
  }

  /**
   * `user`'s connection at `at` went away without LOGOUT: keep the session until presence says
   * offline, so the client can resume it. Such sessions cost memory without a connection and can
   * be kept alive by heartbeats alone, so they are bounded like connections: at most
   * --max-connections in all and --max-per-address from one address. Past that, the one that has
   * waited longest (from that address, or in all) ends, as if its user had gone silent.
   */
  lost(user: string, at: E, reason: string): void {
    this.life.lost(user, at, reason);
  }

  /**
   * Ends a session for good: the user is offline, their private session and requests end.
   * `why`: the operator's reason for a kick, told to the user.
   */
  end(session: Session<E>, reason: EndReason, why = ''): void {
    this.life.end(session, reason, why);
  }

  /** Ends every session quietly (the server is stopping; each user gets the shutdown goodbye). */
  shutdown(): void {
    for (const s of [...this.registry.all()]) this.end(s, 'shutdown');
  }

  // ---- talking -------------------------------------------------------------------------------

  /** A line from `me`: to their private partner, or everyone (see Lines.say). */
  say(me: Session<E>, text: string, group = false, action = false, sealed = false): void {
    this.lines.say(me, text, group, action, sealed);
  }

  /** One private message from `me` to `to` (`/msg bob text`, `@bob text`), outside any session. */
  dm(me: Session<E>, to: string, text: string, action = false): void {
    this.lines.dm(me, to, text, action);
  }

  /** A private message kept for an account that is not online (see Lines.leave). */
  leave(me: Session<E>, toName: string, text: string, action = false): Promise<void> {
    return this.lines.leave(me, toName, text, action);
  }

  /**
   * `me`'s client received the batch of offline messages ending at `id` (the `receipts` feature):
   * it is deleted and the next one sent. This server's own delivery to its own connection, not a
   * change for the others to apply: on a cluster the mailbox tells them what was delivered.
   */
  received(me: Session<E>, id: number): void {
    this.recall.received(me.key, id);
  }

  /** /history: older group lines, to `me`. */
  history(me: Session<E>, before: number | undefined, count: number): void {
    this.recall.page(me.key, before, count);
  }

  /** A /history refused (`me` has been told why: muted, or chat paused on a cluster): the page ends empty. */
  historyRefused(me: Session<E>): void {
    const muted = this.limits.muted(me.limitKey, this.clock.monotonic()) !== null;
    this.notice(me, 'history', muted ? NOTICES.historyMuted() : NOTICES.historyNotNow());
  }

  /** The online list, to `me`, with who of them is away. */
  who(me: Session<E>): void {
    this.out.toUser(me.key, whoReply(this.online(), this.count, (name) => this.find(name)?.away ?? null));
  }

  /** `/away message`: those who write to `me` are told, once each, until `/back`. */
  setAway(me: Session<E>, message: string): void {
    this.away.set(me, message);
  }

  /** `/back`. */
  back(me: Session<E>): void {
    this.away.back(me);
  }

  /** Counts one message against `me`'s flood limit: null, or the refusal to give them (see Mutes.refusal). */
  refusal(me: Session<E>): ChatError | null {
    return this.mutes.refusal(me);
  }

  /**
   * Counts one message against `me`'s flood limit. False when `me` may not send it now; they
   * have been told (the notice that mutes them, and how long the mute still lasts), the refusal
   * naming the message it refuses (`what`).
   */
  allow(me: Session<E>, what: Refused): boolean {
    return this.mutes.allow(me, what);
  }

  /** A notice from the operator to everyone online; how many it reached. */
  wall(text: string): number {
    const keys = [...this.registry.keys()];
    this.noticeAll(keys, 'wall', text);
    return keys.length;
  }

  /** `key`: `user`'s signed key bundle, relayed as it came (encrypted private sessions). */
  notice(to: Session<E>, event: NoticeEvent, text: string, user?: string, key?: string): void {
    this.out.toUser(to.key, { type: 'notice', event, message: text, ts: this.clock.now(), ...(user ? { user } : {}), ...(key ? { key } : {}) });
  }

  noticeAll(to: readonly string[], event: NoticeEvent, text: string, user?: string): void {
    this.out.toUsers(to, { type: 'notice', event, message: text, ts: this.clock.now(), ...(user ? { user } : {}) });
  }

  /** An error for `to`, as an error frame, naming what it refuses if anything. */
  tell(to: Session<E>, error: ChatError, refused?: Refused): void {
    this.out.toUser(to.key, errorMessage(error, refused));
  }

  // ---- presence ------------------------------------------------------------------------------

  /** The MAC key of a heartbeat's session, if it is live. */
  secretOf(sessionId: string): Buffer | undefined {
    return this.heartbeats.secretOf(sessionId);
  }

  /** A heartbeat whose MAC checked out: fresh ones keep the user online. */
  beat(sessionId: string, seq: bigint): BeatResult {
    return this.heartbeats.beat(sessionId, seq);
  }

  /** A sign of life from `key`'s own connection, for transports without UDP heartbeats (see Heartbeats.alive). */
  alive(key: string): void {
    this.heartbeats.alive(key);
  }

  /** Periodic housekeeping, every SWEEP_MS (see housekeeping.ts). */
  sweep(verdicts: Verdicts<E> = this.direct): void {
    sweepRoom(this.parts, verdicts, this.clock.monotonic());
  }

  /** One server decides what its sweep finds at once. */
  private readonly direct: Verdicts<E> = {
    silent: (s) => this.end(s, 'offline'),
    expired: (r) => this.privates.expireOne(r),
  };

  // ---- the operator --------------------------------------------------------------------------

  /**
   * Mutes `who` for `seconds` (0 lifts the operator's mute): told at once, and told again when it
   * is over, if they are still here. Held by the same flood limits a flooder's mute is (by
   * account; a guest by address), so logging in again does not shed it.
   */
  mute(who: Session<E>, seconds: number): void {
    this.mutes.mute(who, seconds);
  }

  // ---- state (see room-state.ts) -------------------------------------------------------------

  /** The room's state as plain data (see RoomState). */
  snapshot(): RoomState {
    return snapshotOf(this.parts);
  }

  /**
   * Starts from `state` (an empty room only): `reach` gives each attached session its endpoint.
   * Nobody is told anything: the users are where they were.
   */
  restore(state: RoomState, reach: (session: SessionData) => E): void {
    restoreInto(this.parts, state, reach);
  }
}
