/**
 * A logged-in user. The session outlives its connection: when the connection drops without
 * LOGOUT the session is detached, keeps its name, private session and pending requests, and waits
 * for a resume until presence marks the user offline; then it has ended.
 *
 *   attached ⇄ detached (connection lost / resumed)
 *   attached, detached → ended (logout, offline, shutdown)
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { foldName } from '../../common/names.js';
import type { Endpoint } from './outbox.js';

export type SessionState = 'attached' | 'detached' | 'ended';

/** Random bytes of one session's credentials: id, MAC key, resume token. */
const CREDENTIAL_BYTES = 12 + 32 + 24;
/**
 * Credentials of this many sessions are drawn from the CSPRNG at once: a call to randomBytes cost
 * ~70 µs of a login at bcrypt cost 4 (profiled), whatever its size. Each session's bytes are used
 * once, for it alone, as Node's own randomUUID buffers its randomness.
 */
const SESSIONS_PER_DRAW = 64;
let drawn = Buffer.alloc(0);
let used = 0;

/** Fresh heartbeat credentials: session id, MAC key, resume token. */
const credentials = (): [string, Buffer, string] => {
  if (used + CREDENTIAL_BYTES > drawn.length) {
    drawn = randomBytes(CREDENTIAL_BYTES * SESSIONS_PER_DRAW);
    used = 0;
  }
  const r = drawn.subarray(used, (used += CREDENTIAL_BYTES));
  return [r.subarray(0, 12).toString('base64url'), r.subarray(12, 44), r.subarray(44).toString('base64url')];
};

export class Session<E extends Endpoint = Endpoint> {
  /** The case-folded name: the key in the registry and the address in the outbox. */
  readonly key: string;
  /** Public id, carried in heartbeats. Changed only by rekey(). */
  id: string;
  /** Heartbeat MAC key: random per session, never reused, never logged. Changed only by rekey(). */
  secret: Buffer;
  /** Proves ownership on resume. Changed only by rekey(). */
  token: string;
  /** Highest heartbeat sequence accepted (replay protection). */
  lastSeq = -1n;
  /** Whose flood limit this session's messages count against: the account, or a guest's address. */
  readonly limitKey: string;
  /** Away (`/away`): the message for those who write; null when here. */
  away: string | null = null;
  /**
   * Who has been told of the away message already (folded names): each once per absence. Made on
   * first use: most users never go away, and an empty Set is 150 bytes of every session.
   */
  get awayTold(): Set<string> {
    return (this.told ??= new Set());
  }
  private told: Set<string> | null = null;
  /** Where the user is connected now; null while detached or once ended. */
  at: E | null = null;
  private over = false;

  constructor(
    readonly name: string,
    readonly guest: boolean,
    address: string,
  ) {
    this.key = foldName(name);
    this.limitKey = guest ? `addr:${address}` : `user:${this.key}`;
    [this.id, this.secret, this.token] = credentials();
  }

  get state(): SessionState {
    if (this.over) return 'ended';
    return this.at ? 'attached' : 'detached';
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

  /** Checks a resume token in constant time. */
  tokenMatches(token: string): boolean {
    const a = Buffer.from(this.token);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** For good: no connection, no resume. */
  end(): void {
    this.over = true;
    this.at = null;
  }
}
