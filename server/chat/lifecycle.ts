/**
 * A session's life in the room: how it starts (login), moves to a new connection (resume), waits
 * without one (lost) and ends, and the login_ok each connection gets. Each of these steps touches
 * most of the room's parts in an order that matters (the registry before login_ok is built, the
 * lines replayed before the message of the day, the waiting bound after the loss is logged), so
 * the orders live here, together, read at once; the room only forwards to them.
 *
 * Like the room, it knows no sockets: it speaks through the Outbox and sees connections only as
 * the opaque Endpoints the transport hands it.
 */
import { chatError } from '../../common/errors.js';
import type { Feature, NoticeEvent, ServerMessage } from '../../common/protocol.js';
import type { Logger } from '../logger.js';
import type { Announcer } from './announcer.js';
import { farewell, type EndReason } from './farewell.js';
import type { Heartbeats } from './heartbeats.js';
import type { Lines } from './lines.js';
import { NOTICES } from './notices.js';
import type { Endpoint, Outbox } from './outbox.js';
import type { Presence } from './presence.js';
import type { PrivateChats } from './private.js';
import type { Recall } from './recall.js';
import type { Registry } from './registry.js';
import { NO_FEATURES, Session, type Credentials, type Renewal } from './session.js';
import type { Waiting } from './waiting.js';

/**
 * What a session's life needs of the room itself: what login_ok tells (set on the room from
 * outside, after it is made), a notice to one user, and its `detached` and `ended` events.
 */
export interface Stage<E extends Endpoint> {
  readonly heartbeatPort: number | undefined;
  readonly network: string | undefined;
  readonly motd: string | null;
  notice(to: Session<E>, event: NoticeEvent, text: string, user?: string): void;
  emit(event: 'detached' | 'ended', session: Session<E>): boolean;
}

/** The room's parts a session's life goes through. */
export interface LifeParts<E extends Endpoint> {
  registry: Registry<E>;
  heartbeats: Heartbeats<E>;
  presence: Presence<Session<E>>;
  waiting: Waiting<Session<E>>;
  lines: Lines<E>;
  announcer: Announcer<E>;
  privates: PrivateChats<E>;
  /** History and the messages kept for offline accounts (replaced when the server opens its own). */
  recall: () => Recall;
}

export type LifeConfig = { readonly heartbeatTimeout: number; readonly maxConnections: number; readonly maxPerAddress: number };

export class Lifecycle<E extends Endpoint> {
  constructor(
    private readonly room: Stage<E>,
    private readonly parts: LifeParts<E>,
    private readonly config: LifeConfig,
    private readonly out: Outbox<E>,
    private readonly log: Logger,
  ) {}

  /** See Room.login. */
  login(name: string, guest: boolean, created: boolean, at: E, since?: number, credentials?: Credentials, features: readonly Feature[] = []): Session<E> {
    const { registry, heartbeats, announcer } = this.parts;
    // The callers check first; a second session under one name would speak as the first.
    if (registry.find(name)) throw chatError('ALREADY_LOGGED_IN', name);
    const session = new Session<E>(name, guest, at.address, credentials);
    if (features.length > 0) session.features = new Set(features);
    // Before login_ok is built: its online list must include the newcomer.
    registry.add(session);
    heartbeats.touch(session);
    session.at = at;
    this.out.attach(session.key, at, this.loginOk(session, { created }));
    this.parts.recall().atLogin(session.key, name, guest, since, session.features.has('receipts'));
    // After the lines replayed, not before: under 20 of them it would scroll out of sight.
    if (this.room.motd !== null) this.room.notice(session, 'motd', this.room.motd);
    this.log.info(`${guest ? 'Guest' : 'User'} ${name} logged in from ${at.label}`);
    announcer.announce('join', session, NOTICES.join(name));
    return session;
  }

  /** See Room.resume. */
  resume(session: Session<E>, at: E, renewal: Renewal, features?: readonly Feature[]): void {
    const { registry, heartbeats, waiting, lines, privates } = this.parts;
    waiting.remove(session);
    // A batch the last connection had not confirmed comes again, on this one (below).
    this.parts.recall().cut(session.key);
    if ('id' in renewal) registry.rekey(session, renewal);
    else session.renewToken(renewal.token, renewal.shown);
    // A new client (a login that took the session over) says what it can do; a resume is the same client.
    if (features) session.features = features.length > 0 ? new Set(features) : NO_FEATURES;
    heartbeats.touch(session);
    if (session.at) this.out.end(session.key, { type: 'bye', reason: 'replaced', message: NOTICES.replaced() });
    lines.undelivered.delivered(session.key);
    session.at = at;
    this.out.attach(session.key, at, this.loginOk(session, { created: false, resumed: true }));
    this.log.info(`${session.name} resumed the session from ${at.label}`);
    // A delivery of kept messages cut off with the last connection left the rest waiting: now.
    if (!session.guest) this.parts.recall().deliverWaiting(session.key, session.name, session.features.has('receipts'));
    const partner = privates.partnerOf(session);
    if (partner) this.room.notice(partner, 'reconnected', NOTICES.reconnected(session.name), session.name);
  }

  /** See Room.lost. */
  lost(user: string, at: E, reason: string): void {
    const { registry, waiting } = this.parts;
    const session = registry.byKey(user);
    if (!session || session.at !== at) return;
    session.at = null;
    this.parts.recall().cut(user);
    this.log.info(`Lost connection from ${session.name} (${at.label}): ${reason}`);
    this.room.emit('detached', session);
    const here = waiting.add(session, at.address);
    if (here.size > this.config.maxPerAddress) this.end(here.values().next().value!, 'crowded');
    if (waiting.size > this.config.maxConnections) this.end(waiting.oldest()!, 'crowded');
  }

  /** See Room.end. */
  end(session: Session<E>, reason: EndReason, why = ''): void {
    const { registry, presence, waiting, lines, privates, announcer } = this.parts;
    if (!registry.remove(session)) return;
    presence.forget(session);
    waiting.remove(session);
    this.parts.recall().cut(session.key);
    session.end();
    this.room.emit('ended', session);
    if (reason !== 'shutdown') lines.tellUndelivered(session);
    // At shutdown everyone is about to hear "Server is shutting down"; nothing more to say.
    privates.left(session, reason, reason === 'shutdown');
    const { log, announce, bye } = farewell(session.name, reason, why, this.config.heartbeatTimeout);
    if (log) this.log[log.level](log.text);
    if (announce) announcer.announce(announce.event, session, announce.text);
    this.out.end(session.key, bye);
  }

  private loginOk(session: Session<E>, extra: { created: boolean; resumed?: boolean }): ServerMessage<'login_ok'> {
    const partner = this.parts.privates.partnerOf(session);
    const { heartbeatPort, network } = this.room;
    return {
      type: 'login_ok',
      user: session.name,
      guest: session.guest,
      ...this.parts.announcer.onlineField(),
      session: session.id,
      secret: session.secret.toString('base64'),
      token: session.token,
      timeout: this.config.heartbeatTimeout,
      ...(heartbeatPort !== undefined ? { udpPort: heartbeatPort } : {}),
      ...(network !== undefined ? { network } : {}),
      ...(partner ? { partner: partner.name } : {}),
      ...extra,
    };
  }
}
