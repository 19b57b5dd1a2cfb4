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
import type { Feature } from '../../common/protocol.js';
import type { Endpoint } from './outbox.js';

export type SessionState = 'attached' | 'detached' | 'ended';

/** A session's heartbeat credentials: public id, MAC key, resume token. */
export interface Credentials {
  id: string;
  secret: Buffer;
  token: string;
}

/**
 * What a session gets when it is taken back: whole new credentials when a new client took it over
 * with its password, or, when the same client resumed it with the token `shown`, a new token.
 */
export type Renewal = Credentials | { token: string; shown: string };

/** What a client that says nothing can do: shared, since most sessions have it (a Set is 150 bytes). */
export const NO_FEATURES: ReadonlySet<Feature> = new Set();

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

/** Fresh random credentials. */
export const freshCredentials = (): Credentials => {
  if (used + CREDENTIAL_BYTES > drawn.length) {
    drawn = randomBytes(CREDENTIAL_BYTES * SESSIONS_PER_DRAW);
    used = 0;
  }
  const r = drawn.subarray(used, (used += CREDENTIAL_BYTES));
  return { id: r.subarray(0, 12).toString('base64url'), secret: r.subarray(12, 44), token: r.subarray(44).toString('base64url') };
};

/** A new resume token alone (see Session.renewToken). */
export const freshToken = (): string => freshCredentials().token;

/** Two tokens compared in constant time. */
const sameToken = (a: string, b: string): boolean => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

export class Session<E extends Endpoint = Endpoint> {
  /** The case-folded name: the key in the registry and the address in the outbox. */
  readonly key: string;
  /** Public id, carried in heartbeats. Changed only by rekey(). */
  id: string;
  /** Heartbeat MAC key: random per session, never reused, never logged. Changed only by rekey(). */
  secret: Buffer;
  /** Proves ownership on resume. Changed by rekey() and at each resume (renewToken()). */
  token: string;
  /** The token the last resume was made with, good until the next (see renewToken), or null. */
  previous: string | null = null;
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
  /** Who has been told of the away message, as a list (none made when nobody has). */
  awayToldList(): string[] {
    return this.told ? [...this.told] : [];
  }
  /** Where the user is connected now; null while detached or once ended. */
  at: E | null = null;
  /**
   * What the user's client said it can do at login (end-to-end encryption, files): a peer
   * without it is refused those, never silently given less. None for IRC and older clients.
   */
  features: ReadonlySet<Feature> = NO_FEATURES;
  private over = false;

  constructor(
    readonly name: string,
    readonly guest: boolean,
    address: string,
    /** Given when the credentials were made elsewhere (a cluster: by the server the user logged in on). */
    credentials: Credentials = freshCredentials(),
  ) {
    this.key = foldName(name);
    this.limitKey = guest ? `addr:${address}` : `user:${this.key}`;
    ({ id: this.id, secret: this.secret, token: this.token } = credentials);
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
  rekey(credentials: Credentials = freshCredentials()): void {
    ({ id: this.id, secret: this.secret, token: this.token } = credentials);
    this.previous = null;
    this.lastSeq = -1n;
  }

  /**
   * A new resume token, the rest kept: a resume spends the tokens before the one it was made with
   * (`shown`), so one seen on the wire earlier cannot take the session back. `shown` itself stays
   * good until the next resume: the login_ok bringing the new token may be lost with a connection
   * that drops again at once, and the client then has only `shown` (a guest, with no password to
   * fall back on, would lose the session). The heartbeat id and secret stay: it is the same client.
   */
  renewToken(token: string, shown: string): void {
    this.previous = shown;
    this.token = token;
  }

  /** Checks a resume token (the current one, or the one the last resume was made with) in constant time. */
  tokenMatches(token: string): boolean {
    return sameToken(this.token, token) || (this.previous !== null && sameToken(this.previous, token));
  }

  /** For good: no connection, no resume. */
  end(): void {
    this.over = true;
    this.at = null;
  }
}
