/**
 * The server's counters, one object for the whole process, injected where things happen: the net
 * layer counts connections, datagrams, deliveries, login answers and slow readers; the dispatcher
 * counts chat lines. The console's `stats` and the metrics endpoint (metrics.ts) read them; nothing
 * else changes them.
 *
 * Counting is a few additions per event, never per recipient: a broadcast adds its recipient
 * count once. What the chat state already knows (users online, private-chat outcomes, mutes, the
 * hash queue) is not counted again here; metrics.ts reads it when scraped.
 */
import type { ServerMessage } from '../common/protocol.js';

/**
 * Why a datagram was dropped: too big to be a heartbeat, not shaped like one, naming no live
 * session, signed with the wrong secret, repeating the last accepted sequence number, or below it.
 */
export type DropReason = 'oversize' | 'malformed' | 'unknown-session' | 'forged' | 'replayed' | 'stale';

/**
 * A chat line by kind: to the group, a one-shot private message (`dm`), a line in a private
 * session, or a line replayed from history to someone logging in.
 */
export type LineKind = 'group' | 'dm' | 'private' | 'replay';

/**
 * What a login (or resume) got: in (an account or a guest), a new account, a session taken back,
 * a wrong password, held back by the throttles, refused for a busy hash queue, or refused for
 * another reason (a bad name, a password rule, guests off, a name taken, a session gone).
 */
export type LoginResult = 'ok' | 'created' | 'resumed' | 'wrong_password' | 'throttled' | 'busy' | 'refused';

/** The answer a login got, from what the server sent (a login_ok, or the error), or null if it is not one. */
export function loginResult(msg: ServerMessage): LoginResult | null {
  if (msg.type === 'login_ok') return msg.resumed ? 'resumed' : msg.created ? 'created' : 'ok';
  if (msg.type !== 'error') return null;
  switch (msg.code) {
    case 'BAD_PASSWORD':
      return 'wrong_password';
    case 'LOGIN_THROTTLED':
    case 'REGISTRATIONS_THROTTLED':
      return 'throttled';
    case 'SERVER_BUSY':
      return 'busy';
    case 'BAD_NAME':
    case 'NAME_IN_USE':
    case 'PASSWORD_RULE':
    case 'GUESTS_DISABLED':
    case 'RESUME_FAILED':
    case 'STORE_FAILED':
      return 'refused';
    default:
      return null;
  }
}

export class Counters {
  /** Connections accepted since the start (refused ones are not counted). */
  connections = 0;
  /** Chat lines accepted: group lines, private-session lines and one-shot private messages. */
  messages = 0;
  /** The same lines by kind (replays are counted by whoever replays, not in `messages`). */
  readonly lines: Record<LineKind, number> = { group: 0, dm: 0, private: 0, replay: 0 };
  /**
   * Chat lines (`msg` frames, replays included) handed to users' connections (or kept for their
   * resume), one per recipient. Notices, lists and refusals are not chat: a client answered with
   * errors at the rate it sends junk would otherwise read as traffic.
   */
  deliveries = 0;
  /** Refusals sent (error frames), by code: to a connection before login or to a user after. */
  readonly errors = new Map<string, number>();
  readonly logins: Record<LoginResult, number> = { ok: 0, created: 0, resumed: 0, wrong_password: 0, throttled: 0, busy: 0, refused: 0 };
  /** Connections dropped for leaving too much output unread. */
  slowReaders = 0;
  datagramsAccepted = 0;
  datagramsDropped: Partial<Record<DropReason, number>> = {};

  /**
   * Set by the metrics endpoint: takes the seconds from a line's arrival to its last socket
   * write. While null (no endpoint), no time is taken at all.
   */
  timing: ((seconds: number) => void) | null = null;
  /** Arrival times (ms, performance.now) of this turn's lines, observed at the end of the turn. */
  private arrivals: number[] = [];

  /** When a line arrives: a timestamp if lines are being timed, else 0 (and no clock is read). */
  arrival(): number {
    return this.timing === null ? 0 : performance.now();
  }

  /**
   * A chat line was accepted (and handed to the outbox). Its writes were queued in this turn, and
   * the net layer writes a turn's output at the end of the turn (net/batcher.ts, a setImmediate
   * scheduled when the first of them was queued); the observation is scheduled after that, so it
   * sees the last write done. One timestamp per line, one per turn.
   */
  line(kind: LineKind, arrived: number): void {
    this.messages++;
    this.lines[kind]++;
    if (this.timing === null || arrived === 0) return;
    this.arrivals.push(arrived);
    if (this.arrivals.length === 1) setImmediate(this.observe);
  }

  /** `msg` is on its way to one recipient: a chat line or a refusal is counted as such. */
  sent(msg: ServerMessage): void {
    if (msg.type === 'msg') this.deliveries++;
    else if (msg.type === 'error') this.errors.set(msg.code, (this.errors.get(msg.code) ?? 0) + 1);
  }

  /** A login was answered with `msg` (see loginResult). */
  answered(msg: ServerMessage): void {
    const result = loginResult(msg);
    if (result !== null) this.logins[result]++;
  }

  private readonly observe = (): void => {
    const now = performance.now();
    const timing = this.timing;
    for (const t of this.arrivals) timing?.((now - t) / 1000);
    this.arrivals = [];
  };
}
