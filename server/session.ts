/**
 * A logged-in user. The session outlives its TCP connection: when the connection drops without
 * LOGOUT the session is detached, keeps its name, private session and pending requests, and waits
 * for a resume until presence marks the user offline.
 */
import { randomBytes } from 'node:crypto';
import { foldName } from '../common/names.js';
import type { Connection } from './connection.js';
import { RateLimiter, type RateRule } from './ratelimit.js';

/** Output kept for a detached session, delivered on resume; beyond this the oldest is dropped. */
const BACKLOG_BYTES = 256 * 1024;

/** Fresh heartbeat credentials: session id, MAC key, resume token. */
const credentials = (): [string, Buffer, string] => [
  randomBytes(12).toString('base64url'),
  randomBytes(32),
  randomBytes(24).toString('base64url'),
];

export class Session {
  readonly key: string;
  /** Public id, carried in heartbeats. Changed only by rekey(). */
  id: string;
  /** Heartbeat MAC key: random per session, never reused, never logged. Changed only by rekey(). */
  secret: Buffer;
  /** Proves ownership on resume. Changed only by rekey(). */
  token: string;
  /** Highest heartbeat sequence accepted (replay protection). */
  lastSeq = -1n;
  readonly limiter: RateLimiter;
  conn: Connection | null = null;
  private backlog: Buffer[] = [];
  private backlogBytes = 0;

  constructor(
    readonly name: string,
    readonly guest: boolean,
    rule: RateRule,
  ) {
    this.key = foldName(name);
    this.limiter = new RateLimiter(rule);
    [this.id, this.secret, this.token] = credentials();
  }

  /**
   * New heartbeat credentials (id, secret, resume token) for a new client taking the session
   * over with its password: that client counts its heartbeats from zero, which the old sequence
   * number would reject as stale, and the old client's token must stop working. The caller
   * re-registers the id.
   */
  rekey(): void {
    [this.id, this.secret, this.token] = credentials();
    this.lastSeq = -1n;
  }

  /** Sends an encoded frame, or keeps it for a resume while detached. */
  deliver(frame: Buffer): void {
    if (this.conn) {
      this.conn.write(frame);
      return;
    }
    this.backlog.push(frame);
    this.backlogBytes += frame.length;
    while (this.backlogBytes > BACKLOG_BYTES && this.backlog.length > 1) {
      this.backlogBytes -= this.backlog.shift()!.length;
    }
  }

  /** Binds a (new) connection and hands it what was kept while detached. */
  attach(conn: Connection): void {
    this.conn = conn;
    conn.session = this;
    const kept = this.backlog;
    this.backlog = [];
    this.backlogBytes = 0;
    for (const frame of kept) conn.write(frame);
  }

  detach(): void {
    if (this.conn) this.conn.session = null;
    this.conn = null;
  }
}
