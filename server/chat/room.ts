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
import type { Logger } from '../logger.js';
import { NOTICES } from './notices.js';
import type { Endpoint, Outbox } from './outbox.js';
import { Presence } from './presence.js';
import { PrivateChats } from './private.js';
import { Limits } from './ratelimit.js';
import { NO_HISTORY, MemoryMailbox, type History, type Mailbox } from './history.js';
import { Recall } from './recall.js';
import { Undelivered } from './undelivered.js';
import { NO_FEATURES, Session, type Credentials } from './session.js';
import type { Cancel } from '../../common/clock.js';
import type { ConsentState, Request } from './consent.js';
import type { LimitsState } from './ratelimit.js';
import type { UndeliveredState } from './undelivered.js';

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
>;

/**
 * Why a session ends for good: logged out, silent for the heartbeat timeout, the server stopping,
 * waiting without a connection when too many others were (see lost()), removed by the operator,
 * or (a cluster) connected to a server that stopped answering.
 */
export type EndReason = 'logout' | 'offline' | 'shutdown' | 'crowded' | 'kicked' | 'unreachable';

/** What became of a heartbeat that named a session: taken, or why not. */
export type BeatResult = 'accepted' | 'unknown-session' | 'replayed' | 'stale';

/** A session as plain data (see Room.snapshot). */
export interface SessionData {
  name: string;
  guest: boolean;
  /** Where the user is (or was last) connected from. */
  address: string;
  /** Whose flood limit their messages count against (a guest's is the address they logged in from). */
  limitKey: string;
  id: string;
  /** base64 */
  secret: string;
  token: string;
  away: string | null;
  awayTold: string[];
  /** Connected (somewhere), or waiting for a resume. */
  attached: boolean;
  /** What the user's client can do (Session.features). */
  features?: Feature[];
}

/**
 * Everything the room knows that follows from what users did, as plain data: what a cluster's
 * servers agree on, and a new one starts from (server/cluster/checkpoint.ts). Not in it: who is
 * connected here, presence, timers, history (each server keeps its own, or reads it back).
 */
export interface RoomState {
  lastId: number;
  sessions: SessionData[];
  /** Sessions waiting without a connection (folded names), longest waiting first, with the address each waits from. */
  waiting: [string, string][];
  consent: ConsentState;
  limits: LimitsState;
  undelivered: UndeliveredState;
}

/** A who reply must fit one frame header (64 KiB): 1,000 names of at most 32 characters do. */
const WHO_MAX = 1000;

/** How often the server calls sweep(). A sweep later than this by S ms means a stall of S ms. */
export const SWEEP_MS = 1000;
/** A stall worth a warning in the log. */
const STALL_WARN_MS = 1000;
/**
 * Users a second that presence summaries go to, at most: a summary goes to everyone online, one
 * socket write each (~10-30 µs here), so in a room of N users above this a summary goes out
 * every N / SUMMARY_RECIPIENTS_PER_S seconds instead of every second. Profiled, the summaries of
 * a 10,000-user login storm were most of the event loop's socket writes, more than the logins'.
 */
export const SUMMARY_RECIPIENTS_PER_S = 1000;

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
  /** The message of the day (--motd), told to each user right after login; null for none. */
  motd: string | null = null;
  private readonly sessions = new Map<string, Session<E>>();
  private readonly byId = new Map<string, Session<E>>();
  /** Sorted online names; null when the list changed since it was last sorted. */
  private sorted: readonly string[] | null = null;
  /** Joins and leaves of a large room waiting for the next summary. */
  private pending: { joined: string[]; left: string[] } = { joined: [], left: [] };
  /** The id of the last chat line: every `msg` gets the next one. */
  private lastId = 0;
  /** Not before this (monotonic) is the next presence summary sent (see SUMMARY_RECIPIENTS_PER_S). */
  private nextSummary = -Infinity;
  /** When the last sweep ran (monotonic), to tell a stalled server from silent users. */
  private lastSweep: number | undefined;
  /** The "you can talk again" of each operator's mute, by flood-limit key, to cancel on a new one. */
  private readonly unmutes = new Map<string, Cancel>();
  /** Sessions waiting for a resume without a connection, longest waiting first, in all and by address. */
  private readonly waiting = new Map<Session<E>, string>();
  private readonly waitingFrom = new Map<string, Set<Session<E>>>();

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
  }

  /**
   * Where history and offline messages are kept (the server opens them at start, after the
   * room exists). Ids go on from the last one kept, so a client's "since" means the same after
   * a restart.
   */
  remember(memory: { history?: History; mailbox?: Mailbox }): Recall {
    const notice = (to: string, event: NoticeEvent, text: string, user?: string) => this.noticeAll([to], event, text, user);
    this.recall = new Recall(memory.history ?? NO_HISTORY, memory.mailbox ?? new MemoryMailbox(), this.out, notice, this.log, this.config);
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
    if (this.motd !== null) this.notice(session, 'motd', this.motd);
    this.recall.atLogin(session.key, name, guest, since);
    this.log.info(`${guest ? 'Guest' : 'User'} ${name} logged in from ${at.label}`);
    this.announce('join', session, NOTICES.join(name));
    return session;
  }

  /**
   * Moves a detached (or still attached) session to `at`. A resume counts as a heartbeat, as a
   * login does. `rekey`: a new client took over with its password, so it gets fresh heartbeat
   * credentials and the old resume token stops working, and says what it can do (`features`:
   * it may be another program than the one before).
   */
  resume(session: Session<E>, at: E, rekey = false, credentials?: Credentials, features?: readonly Feature[]): void {
    this.unwait(session);
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
    const here = this.wait(session, at.address);
    if (here.size > this.config.maxPerAddress) this.end(here.values().next().value!, 'crowded');
    if (this.waiting.size > this.config.maxConnections) this.end(this.waiting.keys().next().value!, 'crowded');
  }

  /** `session` waits without a connection, counted against `address`; the sessions waiting from it. */
  private wait(session: Session<E>, address: string): Set<Session<E>> {
    this.waiting.set(session, address);
    let here = this.waitingFrom.get(address);
    if (!here) this.waitingFrom.set(address, (here = new Set()));
    here.add(session);
    return here;
  }

  /** `session` no longer waits without a connection (it resumed, or ended). */
  private unwait(session: Session<E>): void {
    const address = this.waiting.get(session);
    if (address === undefined) return;
    this.waiting.delete(session);
    const here = this.waitingFrom.get(address)!;
    here.delete(session);
    if (here.size === 0) this.waitingFrom.delete(address);
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
    this.unwait(session);
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
      this.announce('leave', session, NOTICES.leave(session.name));
      this.out.end(session.key, { type: 'bye', reason: 'logout', message: NOTICES.goodbye(session.name) });
    } else if (reason === 'crowded') {
      this.log.warn(`Session of ${session.name} ended: too many sessions waiting without a connection`);
      this.announce('offline', session, NOTICES.gone(session.name));
      this.out.end(session.key);
    } else if (reason === 'unreachable') {
      this.log.warn(`${session.name} went offline: their server is gone`);
      this.announce('offline', session, NOTICES.gone(session.name));
      this.out.end(session.key, { type: 'bye', reason: 'offline', message: NOTICES.you_offline(heartbeatTimeout) });
    } else if (reason === 'kicked') {
      this.log.warn(`${session.name} was removed by the operator${why ? `: ${why}` : ''}`);
      this.announce('leave', session, NOTICES.kicked(session.name));
      this.out.end(session.key, { type: 'bye', reason: 'kicked', message: NOTICES.you_kicked(why) });
    } else {
      this.log.info(`No heartbeat from ${session.name} for ${heartbeatTimeout} s: marked offline`);
      this.announce('offline', session, NOTICES.offline(session.name, heartbeatTimeout));
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
    // JSON-quoted: a newline in the text must not be able to forge a log line.
    this.log.info(`Group message from ${me.name}: ${JSON.stringify(text)}`);
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

  /** The online list, to `me`, with who of them is away. */
  who(me: Session<E>): void {
    const online = this.online().slice(0, WHO_MAX);
    const away = online.filter((name) => this.find(name)?.away != null);
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
      this.unmutedIn(me, this.config.muteSeconds * 1000);
    } else {
      this.tell(me, chatError('MUTED', verdict.secondsLeft).retryIn(verdict.secondsLeft));
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
    this.flushAnnouncements(now);
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
      return this.unmutedIn(who, seconds * 1000);
    }
    // Lifted: free now, unless a flood mute of their own still runs (then told when it ends).
    const left = this.limits.mutedFor(who.limitKey, now);
    if (left > 0) return this.unmutedIn(who, left * 1000);
    this.cancelUnmute(who.limitKey);
    this.notice(who, 'unmuted', NOTICES.unmuted());
  }

  /**
   * "You can talk again", `ms` from now, to whoever then holds `who`'s limit (the same account,
   * logged in again). One such timer per limit, whichever mute set it (a flood, the operator): a
   * newer mute replaces it, and while another mute still holds it waits for that one.
   */
  private unmutedIn(who: Pick<Session<E>, 'key' | 'limitKey'>, ms: number): void {
    const { key, limitKey } = who;
    this.cancelUnmute(limitKey);
    const cancel = this.clock.after(ms, () => {
      this.unmutes.delete(limitKey);
      const left = this.limits.mutedFor(limitKey, this.clock.monotonic());
      if (left > 0) return this.unmutedIn(who, left * 1000);
      const there = this.byKey(key);
      if (there?.limitKey === limitKey) this.notice(there, 'unmuted', NOTICES.unmuted());
    });
    this.unmutes.set(limitKey, cancel);
  }

  private cancelUnmute(limitKey: string): void {
    this.unmutes.get(limitKey)?.();
    this.unmutes.delete(limitKey);
  }

  // ---- state ---------------------------------------------------------------------------------

  /** The room's state as plain data (see RoomState). */
  snapshot(): RoomState {
    const sessions = [...this.sessions.values()].map(
      (s): SessionData => ({
        name: s.name,
        guest: s.guest,
        address: s.at?.address ?? this.waiting.get(s) ?? '',
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
      waiting: [...this.waiting].map(([s, address]) => [s.key, address]),
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
      if (session) this.wait(session, address);
    }
    this.privates.consent.restore(state.consent);
    this.limits.restore(state.limits);
    this.undelivered.restore(state.undelivered);
    this.changed();
  }

  // ---- announcements -------------------------------------------------------------------------

  private changed(): void {
    this.sorted = null;
  }

  /**
   * The online list as sent to users: whole while the room is small, omitted when it is larger
   * than announceLimit (a 10,000-name list per join would cost O(users²) bytes; /who pages it).
   */
  private onlineField(): { online?: string[]; count: number } {
    const count = this.sessions.size;
    return count <= this.config.announceLimit ? { online: [...this.online()], count } : { count };
  }

  /**
   * Tells everyone else that `who` joined or left. In a small room (up to announceLimit users)
   * at once, with the online list; in a large one the changes are gathered and sent as one
   * summary a second (see flushAnnouncements), so a login storm costs O(users) a second, not
   * O(users) a login, and at most SUMMARY_RECIPIENTS_PER_S writes a second however large the room.
   */
  private announce(event: 'join' | 'leave' | 'offline', who: Session<E>, text: string): void {
    if (this.sessions.size <= this.config.announceLimit && this.pending.joined.length + this.pending.left.length === 0) {
      const notice = { type: 'notice', event, message: text, ts: this.clock.now(), user: who.name, ...this.onlineField() } as const;
      this.out.toRoom(notice, who.key);
      this.emit('online', this.online());
      return;
    }
    (event === 'join' ? this.pending.joined : this.pending.left).push(who.name);
  }

  /**
   * Sends the gathered joins and leaves of a large room as one 'presence' notice: every second,
   * or in a room of more than SUMMARY_RECIPIENTS_PER_S users, every N / SUMMARY_RECIPIENTS_PER_S
   * seconds.
   */
  private flushAnnouncements(now: number): void {
    const { joined, left } = this.pending;
    if (joined.length + left.length === 0 || now < this.nextSummary) return;
    // Half a sweep early, so a sweep that comes a little before its second still sends.
    this.nextSummary = now + SWEEP_MS * Math.max(1, this.sessions.size / SUMMARY_RECIPIENTS_PER_S) - SWEEP_MS / 2;
    this.pending = { joined: [], left: [] };
    const message = NOTICES.presence(joined, left, this.sessions.size);
    this.out.toRoom({ type: 'notice', event: 'presence', message, ts: this.clock.now(), ...this.onlineField() });
    this.emit('online', this.online());
  }

  private loginOk(session: Session<E>, extra: { created: boolean; resumed?: boolean }): ServerMessage<'login_ok'> {
    const partner = this.privates.partnerOf(session);
    return {
      type: 'login_ok',
      user: session.name,
      guest: session.guest,
      ...this.onlineField(),
      session: session.id,
      secret: session.secret.toString('base64'),
      token: session.token,
      timeout: this.config.heartbeatTimeout,
      ...(this.heartbeatPort !== undefined ? { udpPort: this.heartbeatPort } : {}),
      ...(partner ? { partner: partner.name } : {}),
      ...extra,
    };
  }
}
