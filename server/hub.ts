/**
 * The chat's shared state and the operations every handler builds on: the registry of online
 * sessions (keyed by case-folded name), consent for private sessions, presence, delivery and
 * notices, and the start and end of sessions. Handlers stay short because the rules that span
 * several users (who is told what when someone leaves) live here, once.
 */
import { EventEmitter } from 'node:events';
import { timingSafeEqual } from 'node:crypto';
import { encodeMessage } from '../common/codec.js';
import { foldName } from '../common/names.js';
import type { ServerMessage } from '../common/protocol.js';
import type { Clock } from '../common/clock.js';
import type { ServerConfig } from './config.js';
import type { Connection } from './connection.js';
import { Consent, type Request } from './consent.js';
import type { Logger } from './logger.js';
import { NOTICES, type NoticeEvent } from './notices.js';
import { Presence } from './presence.js';
import { Session } from './session.js';

export type EndReason = 'logout' | 'offline' | 'shutdown';

export interface Stats {
  totalConnections: number;
  totalMessages: number;
  datagramsAccepted: number;
  datagramsDropped: Record<string, number>;
}

/** Events: `online` (sorted names) whenever the online list changes (at most once a second in a large room). */
export class Hub extends EventEmitter {
  readonly consent = new Consent();
  readonly presence: Presence<Session>;
  readonly stats: Stats = { totalConnections: 0, totalMessages: 0, datagramsAccepted: 0, datagramsDropped: {} };
  private readonly sessions = new Map<string, Session>();
  private readonly byId = new Map<string, Session>();
  /** Sorted online names; null when the list changed since it was last sorted. */
  private sorted: readonly string[] | null = null;
  /** Joins and leaves of a large room waiting for the next summary. */
  private pending: { joined: string[]; left: string[] } = { joined: [], left: [] };

  constructor(
    readonly config: ServerConfig,
    readonly clock: Clock,
    readonly log: Logger,
  ) {
    super();
    this.presence = new Presence(config.heartbeatTimeout * 1000);
  }

  // ---- lookups -------------------------------------------------------------------------------

  find(name: string): Session | undefined {
    return this.sessions.get(foldName(name));
  }

  byKey(key: string): Session | undefined {
    return this.sessions.get(key);
  }

  bySessionId(id: string): Session | undefined {
    return this.byId.get(id);
  }

  /** Online names, sorted without regard to case (cached until the list changes). */
  online(): readonly string[] {
    this.sorted ??= [...this.sessions.keys()].sort().map((k) => this.sessions.get(k)!.name);
    return this.sorted;
  }

  /**
   * The online list as sent to users: whole while the room is small, omitted when it is larger
   * than announceLimit (a 10,000-name list per join would cost O(users²) bytes; /who pages it).
   */
  private onlineField(): { online?: string[]; count: number } {
    const count = this.sessions.size;
    return count <= this.config.announceLimit ? { online: [...this.online()], count } : { count };
  }

  get count(): number {
    return this.sessions.size;
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  // ---- delivery ------------------------------------------------------------------------------

  sendTo(session: Session, msg: ServerMessage): void {
    session.deliver(encodeMessage(msg));
  }

  /** One message to a few sessions (a private line and its sender's copy), encoded once. */
  sendToEach(sessions: readonly Session[], msg: ServerMessage): void {
    const frame = encodeMessage(msg);
    for (const s of sessions) s.deliver(frame);
  }

  /** Encodes once and shares the buffer among all recipients. */
  broadcast(msg: ServerMessage, except?: Session): void {
    const frame = encodeMessage(msg);
    for (const s of this.sessions.values()) if (s !== except) s.deliver(frame);
  }

  notice(to: Session, event: NoticeEvent, text: string, user?: string): void {
    this.sendTo(to, { type: 'notice', event, message: text, ts: this.clock.now(), ...(user ? { user } : {}) });
  }

  // ---- session lifecycle ---------------------------------------------------------------------

  /** Registers a freshly logged-in user on `conn`, tells them and everyone else. */
  start(conn: Connection, name: string, guest: boolean, created: boolean): Session {
    const { rateCount, rateWindow, muteSeconds } = this.config;
    const now = this.clock.monotonic();
    const session = new Session(name, guest, { count: rateCount, windowMs: rateWindow * 1000, muteMs: muteSeconds * 1000 });
    this.sessions.set(session.key, session);
    this.byId.set(session.id, session);
    // Before login_ok is built: its online list must include the newcomer.
    this.changed();
    this.presence.touch(session, now);
    conn.loggedIn();
    conn.send(this.loginOk(session, { created }));
    session.attach(conn);
    this.log.info(`${guest ? 'Guest' : 'User'} ${name} logged in from ${conn.label}`);
    this.announce('join', session, NOTICES.join(name));
    return session;
  }

  /**
   * Moves a detached (or replaced) session onto `conn`. A resume counts as a heartbeat, as a login
   * does. `rekey`: a new client took over with its password, so it gets fresh heartbeat
   * credentials and the old resume token stops working.
   */
  resume(conn: Connection, session: Session, rekey = false): void {
    const old = session.conn;
    session.detach();
    if (rekey) {
      this.byId.delete(session.id);
      session.rekey();
      this.byId.set(session.id, session);
    }
    this.presence.touch(session, this.clock.monotonic());
    if (old) {
      old.send({ type: 'bye', reason: 'replaced', message: NOTICES.replaced() });
      old.close('session resumed elsewhere');
    }
    conn.loggedIn();
    conn.send(this.loginOk(session, { created: false, resumed: true }));
    session.attach(conn);
    this.log.info(`${session.name} resumed the session from ${conn.label}`);
    const partner = this.partnerOf(session);
    if (partner) this.notice(partner, 'reconnected', NOTICES.reconnected(session.name), session.name);
  }

  /** The TCP connection went away without LOGOUT: keep the session until presence says offline. */
  lost(session: Session, conn: Connection, reason: string): void {
    if (session.conn !== conn) return;
    session.detach();
    this.log.info(`Lost connection from ${session.name} (${conn.label}): ${reason}`);
  }

  /** Ends a session for good: the user is offline, their private session and requests end. */
  end(session: Session, reason: EndReason): void {
    if (this.sessions.get(session.key) !== session) return;
    this.sessions.delete(session.key);
    this.byId.delete(session.id);
    this.presence.forget(session);
    const { partner, dropped } = this.consent.remove(session.key);
    this.changed();
    const conn = session.conn;
    session.detach();
    // At shutdown everyone is about to hear "Server is shutting down"; nothing more to say.
    if (reason === 'shutdown') return;
    if (partner !== undefined) {
      this.log.info(`Private chat between ${session.name} and ${this.display(partner)} ended (${reason})`);
      const p = this.byKey(partner);
      if (p) this.notice(p, 'pm_ended', NOTICES.pm_ended(session.name), session.name);
    }
    this.tellCancelled(dropped, new Set([session.key]));
    if (reason === 'logout') {
      this.log.info(`${session.name} logged out`);
      this.announce('leave', session, NOTICES.leave(session.name));
      return;
    }
    this.log.info(`No heartbeat from ${session.name} for ${this.config.heartbeatTimeout} s: marked offline`);
    this.announce('offline', session, NOTICES.offline(session.name, this.config.heartbeatTimeout));
    if (conn) {
      conn.send({ type: 'bye', reason: 'offline', message: NOTICES.you_offline(this.config.heartbeatTimeout) });
      conn.close('marked offline');
    }
  }

  private changed(): void {
    this.sorted = null;
  }

  /**
   * Tells everyone else that `who` joined or left. In a small room (up to announceLimit users)
   * at once, with the online list; in a large one the changes are gathered and sent as one
   * summary a second (see flushAnnouncements), so a login storm costs O(users) a second, not
   * O(users) a login.
   */
  private announce(event: 'join' | 'leave' | 'offline', who: Session, text: string): void {
    if (this.sessions.size <= this.config.announceLimit && this.pending.joined.length + this.pending.left.length === 0) {
      this.broadcast({ type: 'notice', event, message: text, ts: this.clock.now(), user: who.name, ...this.onlineField() }, who);
      this.emit('online', this.online());
      return;
    }
    (event === 'join' ? this.pending.joined : this.pending.left).push(who.name);
  }

  /** Sends the gathered joins and leaves of a large room as one 'presence' notice. */
  private flushAnnouncements(): void {
    const { joined, left } = this.pending;
    if (joined.length + left.length === 0) return;
    this.pending = { joined: [], left: [] };
    const message = NOTICES.presence(joined, left, this.sessions.size);
    this.broadcast({ type: 'notice', event: 'presence', message, ts: this.clock.now(), ...this.onlineField() });
    this.emit('online', this.online());
  }

  /**
   * Tells the other side of each dropped request that it is void because someone in `gone` is
   * no longer available (offline, or now in a private chat with someone else).
   */
  tellCancelled(dropped: Request[], gone: ReadonlySet<string>): void {
    for (const r of dropped) {
      const unavailable = gone.has(r.from) ? r.from : r.to;
      const other = this.byKey(unavailable === r.from ? r.to : r.from);
      const name = this.display(unavailable);
      if (other) this.notice(other, 'pm_cancelled', NOTICES.pm_cancelled(name), name);
    }
  }

  partnerOf(session: Session): Session | undefined {
    const key = this.consent.partner(session.key);
    return key === undefined ? undefined : this.byKey(key);
  }

  /** The display name for a folded key (falls back to the key for users already gone). */
  display(key: string): string {
    return this.byKey(key)?.name ?? key;
  }

  /** Checks a resume token in constant time. */
  tokenMatches(session: Session, token: string): boolean {
    const a = Buffer.from(session.token);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Periodic housekeeping: expired private-chat requests and users gone silent. */
  sweep(): void {
    const now = this.clock.monotonic();
    for (const r of this.consent.expire(now - this.config.pmTimeout * 1000)) {
      const from = this.byKey(r.from);
      const to = this.byKey(r.to);
      this.log.info(`Private chat request from ${this.display(r.from)} to ${this.display(r.to)} expired`);
      if (from) this.notice(from, 'pm_expired', NOTICES.pm_expired_sender(this.display(r.to), this.config.pmTimeout), this.display(r.to));
      if (to) this.notice(to, 'pm_expired', NOTICES.pm_expired_recipient(this.display(r.from)), this.display(r.from));
    }
    for (const s of this.presence.sweep(now)) this.end(s, 'offline');
    this.flushAnnouncements();
  }

  private loginOk(session: Session, extra: { created: boolean; resumed?: boolean }): ServerMessage<'login_ok'> {
    const partner = this.partnerOf(session);
    return {
      type: 'login_ok',
      user: session.name,
      guest: session.guest,
      ...this.onlineField(),
      session: session.id,
      secret: session.secret.toString('base64'),
      token: session.token,
      timeout: this.config.heartbeatTimeout,
      ...(this.udpPort !== undefined ? { udpPort: this.udpPort } : {}),
      ...(partner ? { partner: partner.name } : {}),
      ...extra,
    };
  }

  /** Set by the server once the UDP socket is bound. */
  udpPort: number | undefined;
}
