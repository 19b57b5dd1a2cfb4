/**
 * A user's signs of life: UDP heartbeats (each newer than the last, or refused as a replay), an
 * IRC client's answer to PING, a login or resume; and, at each sweep, who has gone silent, net of
 * the server's own stalls. Presence keeps the times; this decides what counts.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../logger.js';
import type { Endpoint } from './outbox.js';
import type { Presence } from './presence.js';
import type { Registry } from './registry.js';
import type { Session } from './session.js';

/** What became of a heartbeat that named a session: taken, or why not. */
export type BeatResult = 'accepted' | 'unknown-session' | 'replayed' | 'stale';

/** A stall worth a warning in the log. */
const STALL_WARN_MS = 1000;

export class Heartbeats<E extends Endpoint> {
  /** When the last sweep ran (monotonic), to tell a stalled server from silent users. */
  private lastSweep: number | undefined;

  constructor(
    private readonly presence: Presence<Session<E>>,
    private readonly registry: Registry<E>,
    /** How often sweep() is called (the room's sweep): a sweep later than this by S ms means a stall of S ms. */
    private readonly periodMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** `session` is alive now (a login, a resume). */
  touch(session: Session<E>): void {
    this.presence.touch(session, this.clock.monotonic());
  }

  /** The MAC key of a heartbeat's session, if it is live. */
  secretOf(sessionId: string): Buffer | undefined {
    return this.registry.bySessionId(sessionId)?.secret;
  }

  /** A heartbeat whose MAC checked out: fresh ones keep the user online. */
  beat(sessionId: string, seq: bigint): BeatResult {
    const session = this.registry.bySessionId(sessionId);
    if (!session) return 'unknown-session';
    if (seq === session.lastSeq) return 'replayed';
    if (seq < session.lastSeq) return 'stale';
    session.lastSeq = seq;
    this.touch(session);
    return 'accepted';
  }

  /**
   * A sign of life from `key`'s own connection, for transports without UDP heartbeats (an IRC
   * client answering the server's PING): like a heartbeat, it keeps an attached user online.
   */
  alive(key: string): void {
    const session = this.registry.byKey(key);
    if (session?.at) this.touch(session);
  }

  /**
   * Who has been silent for the heartbeat timeout at `now` (monotonic), no longer tracked. A sweep
   * that comes late by S ms means the server itself was stalled (heartbeats were waiting unread in
   * the socket meanwhile): every presence deadline moves out by S before anyone is judged silent,
   * so nobody is marked offline for the server's own stall.
   */
  sweep(now: number): Session<E>[] {
    const late = this.lastSweep === undefined ? 0 : now - this.lastSweep - this.periodMs;
    this.lastSweep = now;
    if (late > 0) this.presence.stalled(late);
    if (late >= STALL_WARN_MS) this.log.warn(`The server was stalled for ${(late / 1000).toFixed(1)} s: presence deadlines extended by as much`);
    return this.presence.sweep(now);
  }
}
