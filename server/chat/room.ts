/**
 * The room: who is online (one registry keyed by the case-folded name), how sessions start,
 * resume and end, what a line reaches, and who is told what when someone comes or goes. Rules that
 * span several users live here, once, so the handlers stay short.
 *
 * The room knows no sockets, no codec and no bytes: it speaks to users only through its Outbox,
 * in typed messages, and hears of connections only as opaque Endpoints the transport hands it.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../common/clock.js';
import { chatError, errorMessage, type ChatError } from '../../common/errors.js';
import { foldName } from '../../common/names.js';
import type { Feature, NoticeEvent, ServerMessage } from '../../common/protocol.js';
import type { ServerConfig } from '../config.js';
import { quoted, type Logger } from '../logger.js';
import { Announcer } from './announcer.js';
import { NOTICES } from './notices.js';
import { NAMES_BYTES, namesThatFit } from './online-list.js';
import type { Endpoint, Outbox } from './outbox.js';
import { Presence } from './presence.js';
import { PrivateChats } from './private.js';
import { Limits } from './ratelimit.js';
import { NO_HISTORY, MemoryMailbox, type History, type Mailbox } from './history.js';
import { batchText, Recall } from './recall.js';
import { Undelivered } from './undelivered.js';
import { NO_FEATURES, Session, type Credentials } from './session.js';
import { Unmutes } from './unmutes.js';
import { Waiting } from './waiting.js';
import type { Request } from './consent.js';
import type { RoomState, SessionData } from './room-state.js';

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
 * Why a session ends for good: logged out, silent for the heartbeat timeout, the server stopping,
 * waiting without a connection when too many others were (see lost()), removed by the operator,
 * or (a cluster) connected to a server that stopped answering.
 */
export type EndReason = 'logout' | 'offline' | 'shutdown' | 'crowded' | 'kicked' | 'unreachable';

/** What became of a heartbeat that named a session: taken, or why not. */
export type BeatResult = 'accepted' | 'unknown-session' | 'replayed' | 'stale';

/** Names in a who reply, at most; fewer when they do not fit a frame's header (see online-list.ts). */
const WHO_MAX = 1000;

/** How often the server calls sweep(). A sweep later than this by S ms means a stall of S ms. */
export const SWEEP_MS = 1000;
/** A stall worth a warning in the log. */
const STALL_WARN_MS = 1000;

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
  /** Private lines waiting for recipients whose connection dropped. */
  private readonly undelivered = new Undelivered();
  /** History and the messages kept for offline accounts. */
  private recall: Recall;
  /** The UDP heartbeat port told to clients at login; set once the socket is bound. */
  heartbeatPort: number | undefined;
  /** The network id sent in login_ok (set at start: kept in the data folder, or the cluster's). */
  network: string | undefined;
  /** The message of the day (--motd), told to each user at login, after the lines replayed; null for none. */
  motd: string | null = null;
  private readonly sessions = new Map<string, Session<E>>();
  private readonly byId = new Map<string, Session<E>>();
  /** Sorted online names; null when the list changed since it was last sorted. */
  private sorted: readonly string[] | null = null;
  /** Who is told of joins and leaves, and when. */
  private readonly announcer: Announcer<E>;
  /** The id of the last chat line: every `msg` gets the next one. */
  private lastId = 0;
  /** When the last sweep ran (monotonic), to tell a stalled server from silent users. */
  private lastSweep: number | undefined;
  /** The "you can talk again" after each mute. */
  private readonly unmutes: Unmutes;
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
    this.recall = this.remember(memory);
    this.presence = new Presence(config.heartbeatTimeout * 1000);
    const { rateCount, rateWindow, muteSeconds } = config;
    this.limits = new Limits({ count: rateCount, windowMs: rateWindow * 1000, muteMs: muteSeconds * 1000 });
    this.privates = new PrivateChats(this, clock, log, config.pmTimeout, config.maxPmRequests);
    this.announcer = new Announcer(this, config, SWEEP_MS, out, clock, (online) => this.emit('online', online));
    this.unmutes = new Unmutes(this.limits, clock, ({ key, limitKey }) => {
      const there = this.byKey(key);
      if (there?.limitKey === limitKey) this.notice(there, 'unmuted', NOTICES.unmuted());
    });
  }

  /**
   * Where history and offline messages are kept (the server opens them at start, after the
   * room exists). Ids go on from the last one kept, so a client's "since" means the same after
   * a restart.
   */
  remember(memory: { history?: History; mailbox?: Mailbox }): Recall {
    const notice = (to: string, event: NoticeEvent, text: string, user?: string) => this.noticeAll([to], event, text, user);
    const { historyOnJoin, offlineMax, maxOutput } = this.config;
    const config = { historyOnJoin, offlineMax, batchText: batchText(maxOutput) };
    this.recall = new Recall(memory.history ?? NO_HISTORY, memory.mailbox ?? new MemoryMailbox(), this.out, notice, this.log, config);
    this.lastId = Math.max(this.lastId, this.recall.lastId);
    return this.recall;
  }

  // ---- lookups -------------------------------------------------------------------------------

  find(name: string): Session<E> | undefined {
    return this.sessions.get(foldName(name));
  }

  byKey(key: string): Session<E> | undefined {
    return this.sessions.get(key);
  }

  bySessionId(id: string): Session<E> | undefined {
    return this.byId.get(id);
  }

  /** The display name for a folded key (falls back to the key for users already gone). */
  display(key: string): string {
    return this.byKey(key)?.name ?? key;
  }

  /** Online names, sorted without regard to case (cached until the list changes). */
  online(): readonly string[] {
    this.sorted ??= [...this.sessions.keys()].sort().map((k) => this.sessions.get(k)!.name);
    return this.sorted;
  }

  get count(): number {
    return this.sessions.size;
  }

  all(): IterableIterator<Session<E>> {
    return this.sessions.values();
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
    this.sessions.set(session.key, session);
    this.byId.set(session.id, session);
    // Before login_ok is built: its online list must include the newcomer.
    this.changed();
    this.presence.touch(session, this.clock.monotonic());
    session.at = at;
    this.out.attach(session.key, at, this.loginOk(session, { created }));
    this.recall.atLogin(session.key, name, guest, since);
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
    if (rekey) {
      this.byId.delete(session.id);
      session.rekey(credentials);
      this.byId.set(session.id, session);
    }
    // A new client (a login that took the session over) says what it can do; a resume is the same client.
    if (features) session.features = features.length > 0 ? new Set(features) : NO_FEATURES;
    this.presence.touch(session, this.clock.monotonic());
    if (session.at) this.out.end(session.key, { type: 'bye', reason: 'replaced', message: NOTICES.replaced() });
    this.undelivered.delivered(session.key);
    session.at = at;
    this.out.attach(session.key, at, this.loginOk(session, { created: false, resumed: true }));
    this.log.info(`${session.name} resumed the session from ${at.label}`);
    // A delivery of kept messages cut off with the last connection left the rest waiting: now.
    if (!session.guest) this.recall.deliverWaiting(session.key, session.name);
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
    const session = this.sessions.get(user);
    if (!session || session.at !== at) return;
    session.at = null;
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
    if (this.sessions.get(session.key) !== session) return;
    this.sessions.delete(session.key);
    this.byId.delete(session.id);
    this.presence.forget(session);
    this.waiting.remove(session);
    this.changed();
    session.end();
    this.emit('ended', session);
    if (reason !== 'shutdown') this.tellUndelivered(session);
    // At shutdown everyone is about to hear "Server is shutting down"; nothing more to say.
    this.privates.left(session, reason, reason === 'shutdown');
    const { heartbeatTimeout } = this.config;
    if (reason === 'shutdown') {
      this.out.end(session.key, { type: 'bye', reason: 'shutdown', message: NOTICES.shutdown() });
    } else if (reason === 'logout') {
      this.log.info(`${session.name} logged out`);
      this.announcer.announce('leave', session, NOTICES.leave(session.name));
      this.out.end(session.key, { type: 'bye', reason: 'logout', message: NOTICES.goodbye(session.name) });
    } else if (reason === 'crowded') {
      this.log.warn(`Session of ${session.name} ended: too many sessions waiting without a connection`);
      this.announcer.announce('offline', session, NOTICES.gone(session.name));
      this.out.end(session.key);
    } else if (reason === 'unreachable') {
      this.log.warn(`${session.name} went offline: their server is gone`);
      this.announcer.announce('offline', session, NOTICES.gone(session.name));
      // Seen only by users still connected to a server the others took for gone (see rejoin).
      this.out.end(session.key, { type: 'bye', reason: 'offline', message: NOTICES.you_unreachable() });
    } else if (reason === 'kicked') {
      this.log.warn(`${session.name} was removed by the operator${why ? `: ${why}` : ''}`);
      this.announcer.announce('leave', session, NOTICES.kicked(session.name));
      this.out.end(session.key, { type: 'bye', reason: 'kicked', message: NOTICES.you_kicked(why) });
    } else {
      this.log.info(`No heartbeat from ${session.name} for ${heartbeatTimeout} s: marked offline`);
      this.announcer.announce('offline', session, NOTICES.offline(session.name, heartbeatTimeout));
      this.out.end(session.key, { type: 'bye', reason: 'offline', message: NOTICES.you_offline(heartbeatTimeout) });
    }
  }

  /** Ends every session quietly (the server is stopping; each user gets the shutdown goodbye). */
  shutdown(): void {
    for (const s of [...this.sessions.values()]) this.end(s, 'shutdown');
  }

  // ---- talking -------------------------------------------------------------------------------

  /**
   * A line from `me`: to the private partner while in a session (unless `group`), else to
   * everyone. `sealed`: a line of an encrypted private session (the handler checked there is
   * one), relayed as it came; the server keeps no trace of it, not even for pm_undelivered.
   */
  say(me: Session<E>, text: string, group = false, action = false, sealed = false): void {
    const partner = group ? undefined : this.privates.partnerOf(me);
    const ts = this.clock.now();
    const act = action ? { action: true } : {};
    if (partner) {
      const seal = sealed ? { sealed } : {};
      const line = { type: 'msg', id: ++this.lastId, from: me.name, ts, scope: 'private', to: partner.name, text, ...act, ...seal } as const;
      this.out.toUsers([partner.key, me.key], line);
      this.noteIfAway(me, partner, sealed ? NOTICES.sealedLine() : text);
      this.log.info(`Private line from ${me.name} to ${partner.name} (${sealed ? 'end-to-end encrypted' : `${text.length} chars`})`);
      return;
    }
    const id = ++this.lastId;
    this.out.toRoom({ type: 'msg', id, from: me.name, ts, scope: 'group', text, ...act });
    this.recall.record({ id, ts, from: me.name, text, ...act });
    this.log.info(`Group message from ${me.name}: ${quoted(text)}`);
  }

  /** One private message from `me` to `to` (`/msg bob text`, `@bob text`), outside any session. */
  dm(me: Session<E>, to: string, text: string, action = false): void {
    const target = this.find(to);
    if (!target) throw chatError('NO_SUCH_USER', to);
    const act = action ? { action: true } : {};
    const line = { type: 'msg', id: ++this.lastId, from: me.name, ts: this.clock.now(), scope: 'private', to: target.name, text, ...act } as const;
    this.out.toUsers(target === me ? [me.key] : [target.key, me.key], line);
    this.noteIfAway(me, target, text);
    this.tellAway(me, target);
    this.log.info(`Private message from ${me.name} to ${target.name} (${text.length} chars)`);
  }

  /** A private line to someone whose connection dropped waits for them; the sender is told, once. */
  private noteIfAway(me: Session<E>, to: Session<E>, text: string): void {
    if (to.state !== 'detached') return;
    if (this.undelivered.note(to.key, me.key, text)) {
      this.notice(me, 'pm_disconnected', NOTICES.disconnected(to.name, this.config.heartbeatTimeout), to.name);
    }
  }

  /** `gone` never came back: each sender still here learns which lines did not reach it. */
  private tellUndelivered(gone: Session<E>): void {
    for (const [sender, { lines, more }] of this.undelivered.lost(gone.key)) {
      const s = this.byKey(sender);
      if (s) this.notice(s, 'pm_undelivered', NOTICES.undelivered(gone.name, lines, more), gone.name);
    }
  }

  /**
   * A private message for an account that is not online (`toName` as the account spells it): it
   * is kept for them, and the sender told once it is stored for good.
   */
  async leave(me: Session<E>, toName: string, text: string, action = false): Promise<void> {
    const to = foldName(toName);
    const message = { id: ++this.lastId, ts: this.clock.now(), from: me.name, to: toName, text, ...(action ? { action: true } : {}) };
    await this.recall.keep(me.key, me.name, to, message);
    // Logged in while it was being stored: hand it over now rather than at the next login.
    const now = this.byKey(to);
    if (now) this.recall.deliverWaiting(to, now.name);
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
    const first = this.online().slice(0, WHO_MAX);
    const isAway = (name: string) => this.find(name)?.away != null;
    // Away names are listed twice (online and away): they take twice the room.
    const online = first.slice(0, namesThatFit(first, NAMES_BYTES, isAway));
    const away = online.filter(isAway);
    this.out.toUser(me.key, { type: 'who', online, count: this.count, ...(away.length > 0 ? { away } : {}) });
  }

  /** `/away message`: those who write to `me` are told, once each, until `/back`. */
  setAway(me: Session<E>, message: string): void {
    me.away = message;
    me.awayTold.clear();
    this.notice(me, 'away', NOTICES.youAway(message));
  }

  /** `/back`. */
  back(me: Session<E>): void {
    if (me.away === null) throw chatError('NOT_AWAY');
    me.away = null;
    me.awayTold.clear();
    this.notice(me, 'back', NOTICES.back());
  }

  /** A private message to someone away: the sender gets the away message, once. */
  private tellAway(me: Session<E>, to: Session<E>): void {
    if (to.away === null || to === me || to.awayTold.has(me.key)) return;
    to.awayTold.add(me.key);
    this.notice(me, 'away', NOTICES.away(to.name, to.away), to.name);
  }

  /**
   * Counts one message against `me`'s flood limit. False when `me` may not send it now; they
   * have been told (the notice that mutes them, or how long the mute still lasts).
   */
  allow(me: Session<E>): boolean {
    const verdict = this.limits.hit(me.limitKey, this.clock.monotonic());
    if (verdict.ok) return true;
    if (verdict.justMuted) {
      this.log.warn(`Rate limit: ${me.name} muted for ${this.config.muteSeconds} s`);
      this.notice(me, 'muted', NOTICES.muted(verdict.secondsLeft));
      this.unmutes.in(me, this.config.muteSeconds * 1000);
    } else {
      this.tell(me, chatError('MUTED', verdict.secondsLeft, verdict.byOperator === true).retryIn(verdict.secondsLeft));
    }
    return false;
  }

  /** A notice from the operator to everyone online; how many it reached. */
  wall(text: string): number {
    const keys = [...this.sessions.keys()];
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

  /** An error for `to`, as an error frame. */
  tell(to: Session<E>, error: ChatError): void {
    this.out.toUser(to.key, errorMessage(error));
  }

  // ---- presence ------------------------------------------------------------------------------

  /** The MAC key of a heartbeat's session, if it is live. */
  secretOf(sessionId: string): Buffer | undefined {
    return this.byId.get(sessionId)?.secret;
  }

  /** A heartbeat whose MAC checked out: fresh ones keep the user online. */
  beat(sessionId: string, seq: bigint): BeatResult {
    const session = this.byId.get(sessionId);
    if (!session) return 'unknown-session';
    if (seq === session.lastSeq) return 'replayed';
    if (seq < session.lastSeq) return 'stale';
    session.lastSeq = seq;
    this.presence.touch(session, this.clock.monotonic());
    return 'accepted';
  }

  /**
   * A sign of life from `key`'s own connection, for transports without UDP heartbeats (an IRC
   * client answering the server's PING): like a heartbeat, it keeps an attached user online.
   */
  alive(key: string): void {
    const session = this.sessions.get(key);
    if (session?.at) this.presence.touch(session, this.clock.monotonic());
  }

  /**
   * Periodic housekeeping, every SWEEP_MS: expired private-chat requests, users gone silent,
   * large-room summaries. A sweep that comes late by S ms means the server itself was stalled
   * (heartbeats were waiting unread in the socket meanwhile): every presence deadline moves out by
   * S before anyone is judged silent, so nobody is marked offline for the server's own stall.
   */
  sweep(verdicts: Verdicts<E> = this.direct): void {
    const now = this.clock.monotonic();
    const late = this.lastSweep === undefined ? 0 : now - this.lastSweep - SWEEP_MS;
    this.lastSweep = now;
    if (late > 0) this.presence.stalled(late);
    if (late >= STALL_WARN_MS) this.log.warn(`The server was stalled for ${(late / 1000).toFixed(1)} s: presence deadlines extended by as much`);
    for (const r of this.privates.due()) verdicts.expired(r);
    this.limits.sweep(now);
    for (const s of this.presence.sweep(now)) verdicts.silent(s);
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
    const now = this.clock.monotonic();
    this.limits.hold(who.limitKey, now + seconds * 1000, now);
    if (seconds > 0) {
      this.notice(who, 'muted', NOTICES.operator_muted(seconds));
      return this.unmutes.in(who, seconds * 1000);
    }
    // Lifted: free now, unless a flood mute of their own still runs (then told when it ends).
    const left = this.limits.mutedFor(who.limitKey, now);
    if (left > 0) return this.unmutes.in(who, left * 1000);
    this.unmutes.cancel(who.limitKey);
    this.notice(who, 'unmuted', NOTICES.unmuted());
  }

  // ---- state ---------------------------------------------------------------------------------

  /** The room's state as plain data (see RoomState). */
  snapshot(): RoomState {
    const sessions = [...this.sessions.values()].map(
      (s): SessionData => ({
        name: s.name,
        guest: s.guest,
        address: s.at?.address ?? this.waiting.addressOf(s) ?? '',
        limitKey: s.limitKey,
        id: s.id,
        secret: s.secret.toString('base64'),
        token: s.token,
        away: s.away,
        awayTold: s.awayToldList(),
        attached: s.at !== null,
        ...(s.features.size > 0 ? { features: [...s.features] } : {}),
      }),
    );
    return {
      lastId: this.lastId,
      sessions,
      waiting: [...this.waiting.entries()].map(([s, address]) => [s.key, address]),
      consent: this.privates.consent.snapshot(),
      limits: this.limits.snapshot(),
      undelivered: this.undelivered.snapshot(),
    };
  }

  /**
   * Starts from `state` (an empty room only): `reach` gives each attached session its endpoint.
   * Nobody is told anything: the users are where they were.
   */
  restore(state: RoomState, reach: (session: SessionData) => E): void {
    if (this.sessions.size > 0) throw new Error('restore() needs an empty room');
    this.lastId = Math.max(this.lastId, state.lastId);
    for (const d of state.sessions) {
      const loggedInFrom = d.limitKey.startsWith('addr:') ? d.limitKey.slice('addr:'.length) : d.address;
      const session = new Session<E>(d.name, d.guest, loggedInFrom, { id: d.id, secret: Buffer.from(d.secret, 'base64'), token: d.token });
      session.away = d.away;
      for (const k of d.awayTold) session.awayTold.add(k);
      if (d.features?.length) session.features = new Set(d.features);
      if (d.attached) session.at = reach(d);
      this.sessions.set(session.key, session);
      this.byId.set(session.id, session);
    }
    for (const [key, address] of state.waiting) {
      const session = this.sessions.get(key);
      if (session) this.waiting.add(session, address);
    }
    this.privates.consent.restore(state.consent);
    this.limits.restore(state.limits);
    this.undelivered.restore(state.undelivered);
    this.changed();
  }

  // ---- the online list -------------------------------------------------------------------------

  private changed(): void {
    this.sorted = null;
  }

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
