/**
 * The room: who is online (one registry keyed by the case-folded name), how sessions start,
 * resume and end, what a line reaches, and who is told what when someone comes or goes. Rules that
 * span several users live here, once, so the handlers stay short. The room is the façade; its
 * parts are beside it, each with its own job: the registry, the lines and where they go, away
 * messages, mutes, heartbeats, the announcer of joins and leaves, the farewells, the sessions
 * waiting without a connection, its state as plain data.
 *
 * The room knows no sockets, no codec and no bytes: it speaks to users only through its Outbox,
 * in typed messages, and hears of connections only as opaque Endpoints the transport hands it.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../common/clock.js';
import { chatError, errorMessage, type ChatError, type Refused } from '../../common/errors.js';
import type { Feature, NoticeEvent, ServerMessage } from '../../common/protocol.js';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { Announcer } from './announcer.js';
import { Away } from './away.js';
import type { Request } from './consent.js';
import { farewell, type EndReason } from './farewell.js';
import { Heartbeats, type BeatResult } from './heartbeats.js';
import { NO_HISTORY, MemoryMailbox, type History, type Mailbox } from './history.js';
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
import { sessionData, sessionFrom, type RoomState, type SessionData } from './room-state.js';
import { NO_FEATURES, Session, type Credentials } from './session.js';
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

/** How often the server calls sweep(). A sweep later than this by S ms means a stall of S ms. */
export const SWEEP_MS = 1000;

/**
 * Who decides what a sweep finds (users silent for the heartbeat timeout, private-chat requests
 * unanswered for too long): the room itself on one server, at once; a cluster puts each decision
 * in its shared log first, so every server applies it in the same place (server/cluster/).
 */
export interface Verdicts<E extends Endpoint> {
  silent(session: Session<E>): void;
  expired(request: Request): void;
}

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

  // ---- coming and going ----------------------------------------------------------------------

  /**
   * Registers a freshly logged-in user reached at `at`, tells them (with what waited for them and
   * what was said before: the lines after `since`, the last id their client saw, if it says) and
   * everyone else.
   */
  login(name: string, guest: boolean, created: boolean, at: E, since?: number, credentials?: Credentials, features: readonly Feature[] = []): Session<E> {
    // The callers check first; a second session under one name would speak as the first.
    if (this.find(name)) throw chatError('ALREADY_LOGGED_IN', name);
    const session = new Session<E>(name, guest, at.address, credentials);
    if (features.length > 0) session.features = new Set(features);
    // Before login_ok is built: its online list must include the newcomer.
    this.registry.add(session);
    this.heartbeats.touch(session);
    session.at = at;
    this.out.attach(session.key, at, this.loginOk(session, { created }));
    this.recall.atLogin(session.key, name, guest, since, session.features.has('receipts'));
    // After the lines replayed, not before: under 20 of them it would scroll out of sight.
    if (this.motd !== null) this.notice(session, 'motd', this.motd);
    this.log.info(`${guest ? 'Guest' : 'User'} ${name} logged in from ${at.label}`);
    this.announcer.announce('join', session, NOTICES.join(name));
    return session;
  }

  /**
   * Moves a detached (or still attached) session to `at`. A resume counts as a heartbeat, as a
   * login does. `rekey`: a new client took over with its password, so it gets fresh heartbeat
   * credentials and the old resume token stops working, and says what it can do (`features`:
   * it may be another program than the one before).
   */
  resume(session: Session<E>, at: E, rekey = false, credentials?: Credentials, features?: readonly Feature[]): void {
    this.waiting.remove(session);
    // A batch the last connection had not confirmed comes again, on this one (below).
    this.recall.cut(session.key);
    if (rekey) this.registry.rekey(session, credentials);
    // A new client (a login that took the session over) says what it can do; a resume is the same client.
    if (features) session.features = features.length > 0 ? new Set(features) : NO_FEATURES;
    this.heartbeats.touch(session);
    if (session.at) this.out.end(session.key, { type: 'bye', reason: 'replaced', message: NOTICES.replaced() });
    this.lines.undelivered.delivered(session.key);
    session.at = at;
    this.out.attach(session.key, at, this.loginOk(session, { created: false, resumed: true }));
    this.log.info(`${session.name} resumed the session from ${at.label}`);
    // A delivery of kept messages cut off with the last connection left the rest waiting: now.
    if (!session.guest) this.recall.deliverWaiting(session.key, session.name, session.features.has('receipts'));
    const partner = this.privates.partnerOf(session);
    if (partner) this.notice(partner, 'reconnected', NOTICES.reconnected(session.name), session.name);
  }

  /**
   * `user`'s connection at `at` went away without LOGOUT: keep the session until presence says
   * offline, so the client can resume it. Such sessions cost memory without a connection and can
   * be kept alive by heartbeats alone, so they are bounded like connections: at most
   * --max-connections in all and --max-per-address from one address. Past that, the one that has
   * waited longest (from that address, or in all) ends, as if its user had gone silent.
   */
  lost(user: string, at: E, reason: string): void {
    const session = this.registry.byKey(user);
    if (!session || session.at !== at) return;
    session.at = null;
    this.recall.cut(user);
    this.log.info(`Lost connection from ${session.name} (${at.label}): ${reason}`);
    this.emit('detached', session);
    const here = this.waiting.add(session, at.address);
    if (here.size > this.config.maxPerAddress) this.end(here.values().next().value!, 'crowded');
    if (this.waiting.size > this.config.maxConnections) this.end(this.waiting.oldest()!, 'crowded');
  }

  /**
   * Ends a session for good: the user is offline, their private session and requests end.
   * `why`: the operator's reason for a kick, told to the user.
   */
  end(session: Session<E>, reason: EndReason, why = ''): void {
    if (!this.registry.remove(session)) return;
    this.presence.forget(session);
    this.waiting.remove(session);
    this.recall.cut(session.key);
    session.end();
    this.emit('ended', session);
    if (reason !== 'shutdown') this.lines.tellUndelivered(session);
    // At shutdown everyone is about to hear "Server is shutting down"; nothing more to say.
    this.privates.left(session, reason, reason === 'shutdown');
    const { log, announce, bye } = farewell(session.name, reason, why, this.config.heartbeatTimeout);
    if (log) this.log[log.level](log.text);
    if (announce) this.announcer.announce(announce.event, session, announce.text);
    this.out.end(session.key, bye);
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
    this.out.toUser(me.key, whoReply(this.online(), this.count, (name) => this.find(name)?.away != null));
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

  /**
   * Periodic housekeeping, every SWEEP_MS: expired private-chat requests, users gone silent (net
   * of the server's own stalls: see Heartbeats.sweep), large-room summaries.
   */
  sweep(verdicts: Verdicts<E> = this.direct): void {
    const now = this.clock.monotonic();
    const silent = this.heartbeats.sweep(now);
    for (const r of this.privates.due()) verdicts.expired(r);
    this.limits.sweep(now);
    for (const s of silent) verdicts.silent(s);
    this.announcer.flush(now);
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

  // ---- state ---------------------------------------------------------------------------------

  /** The room's state as plain data (see RoomState). */
  snapshot(): RoomState {
    return {
      lastId: this.lines.lastId,
      sessions: [...this.registry.all()].map((s) => sessionData(s, s.at?.address ?? this.waiting.addressOf(s) ?? '')),
      waiting: [...this.waiting.entries()].map(([s, address]) => [s.key, address]),
      consent: this.privates.consent.snapshot(),
      limits: this.limits.snapshot(),
      undelivered: this.lines.undelivered.snapshot(),
    };
  }

  /**
   * Starts from `state` (an empty room only): `reach` gives each attached session its endpoint.
   * Nobody is told anything: the users are where they were.
   */
  restore(state: RoomState, reach: (session: SessionData) => E): void {
    if (this.registry.count > 0) throw new Error('restore() needs an empty room');
    this.lines.after(state.lastId);
    for (const d of state.sessions) {
      const session = sessionFrom<E>(d);
      if (d.attached) session.at = reach(d);
      this.registry.add(session);
    }
    for (const [key, address] of state.waiting) {
      const session = this.registry.byKey(key);
      if (session) this.waiting.add(session, address);
    }
    this.privates.consent.restore(state.consent);
    this.limits.restore(state.limits);
    this.lines.undelivered.restore(state.undelivered);
  }

  // ---- login_ok ------------------------------------------------------------------------------

  private loginOk(session: Session<E>, extra: { created: boolean; resumed?: boolean }): ServerMessage<'login_ok'> {
    const partner = this.privates.partnerOf(session);
    return {
      type: 'login_ok',
      user: session.name,
      guest: session.guest,
      ...this.announcer.onlineField(),
      session: session.id,
      secret: session.secret.toString('base64'),
      token: session.token,
      timeout: this.config.heartbeatTimeout,
      ...(this.heartbeatPort !== undefined ? { udpPort: this.heartbeatPort } : {}),
      ...(this.network !== undefined ? { network: this.network } : {}),
      ...(partner ? { partner: partner.name } : {}),
      ...extra,
    };
  }
}
