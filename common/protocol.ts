/**
 * The message catalogue: every message type either side may send, with its fields and whether a
 * text body follows. The runtime table is the single source: validation walks it, and the
 * TypeScript types are derived from it, so a field cannot be declared in one place and forgotten
 * in the other.
 *
 * On the wire a message is one frame (see codec.ts): the header carries `type` and the fields, the
 * body carries the chat text, so newlines and any Unicode arrive intact. In the typed messages the
 * body is the property `text`, so no header field may be called `text`.
 */

type Kind = 'string' | 'boolean' | 'integer' | 'strings';
interface FieldSpec {
  readonly kind: Kind;
  readonly optional?: boolean;
  /** Longest string, or most items in a list. */
  readonly max?: number;
  /** A string that must be one of these words (its type is their union). */
  readonly values?: readonly string[];
}
export interface MessageSpec {
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /**
   * 'text': a UTF-8 body is required; 'chat': the same, and it must be a line people may send
   * (see textProblem: not blank, no control characters); 'none': no body allowed.
   */
  readonly body: 'text' | 'chat' | 'none';
}

/**
 * The wire's vocabulary, typed on both sides: the client matches these names, the server can only
 * send these. Each list is the single source of its union type below.
 */
export const NOTICE_EVENTS = [
  'join', 'leave', 'offline', 'presence', 'reconnected', 'muted', 'unmuted',
  'pm_invite', 'pm_sent', 'pm_started', 'pm_refused', 'pm_expired', 'pm_cancelled', 'pm_ended',
  /** The recipient of your private line is disconnected: it waits for them, for a while. */
  'pm_disconnected',
  /** Private lines that never reached their recipient (they did not come back). */
  'pm_undelivered',
  /** After the lines replayed at login: live chat starts here. */
  'live',
  /** After a /history page: how much is older, or that nothing is. */
  'history',
  /** Your message to an offline account is kept for them. */
  'offline_stored',
  /** At login: messages that came while you were away follow. */
  'offline_delivered',
  /** You are marked away now; or (to a sender, once) the recipient is away, with their message. */
  'away',
  /** You are back (no longer away). */
  'back',
  /** The message of the day, right after login. */
  'motd',
  /** A notice from the server's operator to everyone (the console's `wall`). */
  'wall',
  /** Several servers: this one lost the cluster's Redis (chat is paused), and got it back. */
  'paused',
  'resumed',
] as const;
/**
 * Why the server closes a connection on purpose: logout, shutdown, no heartbeats, resumed
 * elsewhere, removed by the operator (`kick`: the client must not come back on its own).
 */
export const BYE_REASONS = ['logout', 'shutdown', 'offline', 'replaced', 'kicked'] as const;
/** A chat line to the whole room, or between two people. */
export const SCOPES = ['group', 'private'] as const;

export type NoticeEvent = (typeof NOTICE_EVENTS)[number];
export type ByeReason = (typeof BYE_REASONS)[number];
export type Scope = (typeof SCOPES)[number];

const str = (max: number) => ({ kind: 'string', max }) as const;
const optStr = (max: number) => ({ kind: 'string', max, optional: true }) as const;
const bool = { kind: 'boolean' } as const;
const optBool = { kind: 'boolean', optional: true } as const;
const int = { kind: 'integer' } as const;
const optInt = { kind: 'integer', optional: true } as const;
const oneOf = <const V extends readonly string[]>(values: V) => ({ kind: 'string', max: 32, values }) as const;
const names = { kind: 'strings', max: 100_000 } as const;
const optNames = { kind: 'strings', max: 100_000, optional: true } as const;

/** What a client may send. */
export const CLIENT_MESSAGES = {
  /**
   * Log in, or register when the name is new. An empty password asks for a guest login. `since`:
   * the id of the last line this client saw (logging in again after a restart): the lines after
   * it are replayed instead of the last few.
   */
  login: { fields: { user: str(64), password: str(1024), since: optInt }, body: 'none' },
  /** Take over a session whose TCP connection was lost, without a password. */
  resume: { fields: { session: str(64), token: str(128) }, body: 'none' },
  /** A chat line: to the group, or to the private partner while in a private session. */
  say: { fields: { group: optBool, action: optBool }, body: 'chat' },
  /** A one-shot private message. */
  dm: { fields: { to: str(64), action: optBool }, body: 'chat' },
  /** Ask `to` for a private session. */
  pm_request: { fields: { to: str(64) }, body: 'none' },
  /** Answer a request; without `from`, the oldest pending one. */
  pm_answer: { fields: { from: optStr(64), accept: bool }, body: 'none' },
  /** Leave the private session. */
  pm_exit: { fields: {}, body: 'none' },
  who: { fields: {}, body: 'none' },
  /** Older group lines: `count` (at most 200) before the line `before` (default: the newest). */
  history: { fields: { before: optInt, count: optInt }, body: 'none' },
  /** Marks you away, with a message for those who write to you (`/away gone fishing`). */
  away: { fields: { message: str(200) }, body: 'none' },
  /** No longer away (`/back`). */
  back: { fields: {}, body: 'none' },
  logout: { fields: {}, body: 'none' },
} as const satisfies Record<string, MessageSpec>;

/** What the server sends. */
export const SERVER_MESSAGES = {
  /** First frame on every connection. */
  /** First frame on every connection. `maxBody`: the longest message body this server takes, in bytes. */
  hello: { fields: { server: str(64), version: str(32), guests: bool, maxBody: optInt }, body: 'none' },
  login_ok: {
    fields: {
      user: str(64),
      created: bool,
      guest: bool,
      resumed: optBool,
      /** Everyone online, while the room is small (see `count`). */
      online: optNames,
      /** How many users are online. */
      count: optInt,
      /** Heartbeat parameters: the UDP port, the session id and its secret (base64). */
      udpPort: optInt,
      session: optStr(64),
      secret: optStr(128),
      /** Present again on resume; proves the client owns the session. */
      token: optStr(128),
      /** Seconds of heartbeat silence after which the server marks the user offline. */
      timeout: optInt,
      /** Partner of a private session that survived a reconnect. */
      partner: optStr(64),
    },
    body: 'none',
  },
  error: { fields: { code: str(64), message: str(1024), retry: optInt }, body: 'none' },
  /**
   * A chat line. `id` orders it among this server's lines (it only grows); `scope` tells group
   * from private; `to` names the recipient of private lines.
   */
  msg: {
    fields: {
      id: int,
      from: str(64),
      ts: int,
      scope: oneOf(SCOPES),
      to: optStr(64),
      /** Said before: replayed from history (at login, or for /history). */
      replay: optBool,
      /** Sent while you were offline, kept until you logged in. */
      offline: optBool,
      /** An action (`/me waves`): shown as "* alice waves". */
      action: optBool,
    },
    body: 'text',
  },
  /**
   * Something happened that the user should read: `event` is the machine name, `message` the
   * human sentence. `user` is the other person involved; `online` comes with changes to the user list.
   */
  notice: {
    fields: { event: oneOf(NOTICE_EVENTS), message: str(1024), ts: int, user: optStr(64), online: optNames, count: optInt },
    body: 'none',
  },
  /**
   * The online list, sorted; at most the first 1,000 names, with `count` for the total. `away`:
   * those of them who are away.
   */
  who: { fields: { online: names, count: optInt, away: optNames }, body: 'none' },
  /**
   * Sent just before the server closes the connection on purpose. `reason` is the stable part:
   * logout, shutdown, offline (no heartbeats), replaced (the session was resumed elsewhere),
   * kicked (removed by the operator).
   */
  bye: { fields: { message: str(1024), reason: oneOf(BYE_REASONS) }, body: 'none' },
} as const satisfies Record<string, MessageSpec>;

type FieldType<F> = F extends { values: readonly (infer V)[] }
  ? V
  : F extends { kind: 'string' }
  ? string
  : F extends { kind: 'boolean' }
    ? boolean
    : F extends { kind: 'integer' }
      ? number
      : string[];
type Required<T> = { [K in keyof T as T[K] extends { optional: true } ? never : K]: FieldType<T[K]> };
type Optional<T> = { [K in keyof T as T[K] extends { optional: true } ? K : never]?: FieldType<T[K]> };
type BodyOf<S> = S extends { body: 'text' | 'chat' } ? { text: string } : unknown;
type MessageOf<Table, K extends keyof Table> = Table[K] extends { fields: infer F }
  ? { type: K } & Required<F> & Optional<F> & BodyOf<Table[K]>
  : never;

export type ClientType = keyof typeof CLIENT_MESSAGES;
export type ServerType = keyof typeof SERVER_MESSAGES;
export type ClientMessage<K extends ClientType = ClientType> = K extends ClientType
  ? MessageOf<typeof CLIENT_MESSAGES, K>
  : never;
export type ServerMessage<K extends ServerType = ServerType> = K extends ServerType
  ? MessageOf<typeof SERVER_MESSAGES, K>
  : never;

/** Version of this protocol, sent in `hello`. */
export const PROTOCOL_VERSION = '1';
