/**
 * The cluster's Redis: the keys it uses, and connections that fail fast at start (one clear line,
 * exit 1) but, once up, reconnect with backoff for as long as it takes.
 */
import { createClient } from 'redis';
import { NETWORK_ID } from '../../common/protocol.js';
import { newNetworkId } from '../store/network-id.js';

/** A client; `reconnect` says whether to try again after a lost connection (not before the first). */
const client = (url: string, reconnect: () => boolean) =>
  createClient({
    url,
    // A command while Redis is away fails at once ("not delivered"), rather than waiting unseen.
    disableOfflineQueue: true,
    socket: { connectTimeout: 5000, reconnectStrategy: (retries: number, cause: Error) => (reconnect() ? backoff(retries) : cause) },
  });

export type Redis = ReturnType<typeof client>;

/** Every key is under one prefix, so a Redis can be shared with other things. */
const P = 'tinychat:';
export const KEYS = {
  /** The ordered log of events (a stream). */
  events: `${P}events`,
  /** The room's state at one point of the log, for servers that join later (JSON). */
  checkpoint: `${P}checkpoint`,
  /** Accounts: folded name → {name, hash, created}. */
  accounts: `${P}accounts`,
  /** Group lines, oldest first (a list of JSON lines). */
  history: `${P}history`,
  /** Messages kept for an offline account (a list of JSON per account). */
  mail: (user: string) => `${P}mail:${user}`,
  mailPattern: `${P}mail:*`,
  /** The cluster's network id, the same for all its servers (see networkId). */
  network: `${P}network`,
  /** The pub/sub channel a server life hears file transfer steps on (never a key: nothing is kept). */
  files: (incarnation: string) => `${P}files:${incarnation}`,
  /** A server life's lease: present while it lives. */
  lease: (incarnation: string) => `${P}node:${incarnation}`,
};

/** How long to wait between reconnection attempts: 100 ms doubling to 5 s. */
export const backoff = (retries: number) => Math.min(100 * 2 ** retries, 5000);

/** A client for `url`: refused at once if Redis cannot be reached now; reconnecting later. */
export async function connect(url: string): Promise<Redis> {
  let up = false;
  const redis = client(url, () => up);
  // Errors are reported through the client's events; without a listener Node would throw them.
  redis.on('error', () => {});
  await redis.connect();
  up = true;
  return redis;
}

/**
 * The cluster's network id (login_ok.network): made by the first server to start (SET NX, so
 * servers starting at once agree), then read by every other. Clients pin keys per network, so
 * all servers of a cluster must send the same one.
 */
export async function networkId(redis: Redis): Promise<string | null> {
  await redis.set(KEYS.network, newNetworkId(), { NX: true });
  const id = await redis.get(KEYS.network);
  return id !== null && NETWORK_ID.test(id) ? id : null;
}

/** Redis's clock, ms since the epoch. */
export async function redisTime(redis: Redis): Promise<number> {
  const [s, us] = (await redis.sendCommand(['TIME'])) as [string, string];
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/**
 * Whether Redis keeps what it is told across a restart (append-only file on). Null when it will
 * not say (CONFIG disabled, as some hosted Redis services do).
 */
export async function persists(redis: Redis): Promise<boolean | null> {
  try {
    const reply = (await redis.sendCommand(['CONFIG', 'GET', 'appendonly'])) as unknown;
    const value = Array.isArray(reply) ? reply[1] : (reply as Record<string, string>).appendonly;
    return value === 'yes';
  } catch {
    return null;
  }
}

/** The entries of an XREAD/XRANGE reply, as [id, fields] pairs, whichever RESP shape it came in. */
export function entriesOf(reply: unknown): [string, string[]][] {
  if (reply === null || reply === undefined) return [];
  if (Array.isArray(reply)) {
    // XRANGE: [[id, fields]...]; XREAD (RESP2): [[key, [[id, fields]...]]]
    if (reply.length > 0 && Array.isArray(reply[0]) && typeof reply[0][0] === 'string' && Array.isArray(reply[0][1]) && Array.isArray(reply[0][1][0])) {
      return reply[0][1] as [string, string[]][];
    }
    return reply as [string, string[]][];
  }
  // XREAD (RESP3): {key: [[id, fields]...]}
  const streams = Object.values(reply as Record<string, [string, string[]][]>);
  return streams[0] ?? [];
}
