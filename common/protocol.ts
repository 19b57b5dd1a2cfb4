/**
 * The message catalogue: every message type either side may send, with its fields and whether a
 * text body follows. The runtime table is the single source: validation walks it, and the
 * TypeScript types are derived from it, so a field cannot be declared in one place and forgotten
 * in the other.
 *
 * On the wire a message is one frame (see codec.ts): the header carries `type` and the fields, the
 * body carries the chat text, so newlines and any Unicode arrive intact. In the typed messages the
 * body is the property `text` (`data` for a binary body, with `sealed` for a sealed one), so no
 * header field may be called `text`, `data` or `sealed`.
 */

/**
 * 'base64': a string in canonical base64 (RFC 4648, padded) whose decoded length is from `min`
 * to `max` bytes (keys, hashes, sealed records in a header).
 */
type Kind = 'string' | 'boolean' | 'integer' | 'strings' | 'base64';
interface FieldSpec {
  readonly kind: Kind;
  readonly optional?: boolean;
  /** Longest string, or most items in a list; for base64, most decoded bytes. */
  readonly max?: number;
  /** For base64: fewest decoded bytes. */
  readonly min?: number;
  /** A string that must be one of these words (its type is their union). */
  readonly values?: readonly string[];
  /** A string that must match this whole (ids). */
  readonly pattern?: RegExp;
}
export interface MessageSpec {
  readonly fields: Readonly<Record<string, FieldSpec>>;
  /**
   * 'text': a UTF-8 body is required; 'chat': the same, and it must be a line people may send
   * (see textProblem: not blank, no control characters); 'binary': any bytes
   * (`application/octet-stream`); 'none': no body allowed.
   */
  readonly body: 'text' | 'chat' | 'binary' | 'none';
  /**
   * The body may instead be a record sealed end to end (`application/tinychat-e2e`, see
   * SEALED): in a text message its base64 (`content-encoding: base64`), so the line stays text;
   * in a binary one its raw bytes. The typed message then has `sealed: true`.
   */
  readonly sealed?: boolean;
}

/** The body types on the wire: chat text, raw bytes (file chunks), and sealed records. */
export const CONTENT_TYPES = { text: 'text/plain', binary: 'application/octet-stream', sealed: 'application/tinychat-e2e' } as const;

/**
 * A sealed record (client/secure/record.ts), as far as the server needs to know it: version (1
 * byte), counter (8), ciphertext, GCM tag (16). The server cannot read one; it only knows that a
 * sealed file chunk carries SEAL_OVERHEAD bytes more than the file bytes in it.
 */
export const SEAL_OVERHEAD = 25;
/**
 * File chunks of one transfer sent and not yet acknowledged, at most, whatever their size: the
 * server cuts off a sender past it (a sender of 1-byte chunks), so the client stops there too.
 */
export const MAX_CHUNKS_IN_FLIGHT = 64;

/**
 * The most bytes a frame's JSON header may hold (its length is a 16-bit field). A protocol limit
 * that the chat state must respect too (an online list is cut to fit it), so it lives here and not
 * in the codec, which the chat state does not know.
 */
export const MAX_HEADER = 0xffff;
/**
 * A signed key bundle (client/secure/bundle.ts): kind (1), Ed25519 identity key (32), X25519
 * ephemeral key (32), request id (16), Ed25519 signature (64). Relayed, never read, by the server.
 */
export const KEY_BUNDLE_BYTES = 145;
/** The first byte of a key bundle: what it is for (the server checks it matches the message). */
export const BUNDLE_KINDS = { offer: 1, answer: 2, rekey: 3, restart: 4, rekeyReply: 5 } as const;
/**
 * What a client can do besides chat, said at login; a peer without one is refused it. `receipts`:
 * the client answers `received` to the last message of each batch of offline messages, and those
 * are deleted only then (without it, once its connection has taken them).
 */
export const FEATURES = ['e2e', 'files', 'receipts'] as const;
export type Feature = (typeof FEATURES)[number];

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
  /** The message of the day, at login (after the lines replayed, if any). */
  'motd',
  /** A notice from the server's operator to everyone (the console's `wall`). */
  'wall',
  /** Several servers: this one lost the cluster's Redis (chat is paused), and got it back. */
  'paused',
  'resumed',
  /** Your private partner's client renewed the session keys (after a resume, or a restart): `key`. */
  'pm_rekey',
] as const;
/**
 * Why the server closes a connection on purpose: logout, shutdown, no heartbeats, resumed
 * elsewhere, removed by the operator (`kick`: the client must not come back on its own).
 */
export const BYE_REASONS = ['logout', 'shutdown', 'offline', 'replaced', 'kicked'] as const;
/** A chat line to the whole room, or between two people. */
export const SCOPES = ['group', 'private'] as const;
/**
 * What happened to a file transfer (`transfer` frames): offered to you (`offer`, with the file's
 * size and name), your offer is waiting (`offered`), accepted, refused, cancelled by either side,
 * expired unanswered, done (received and checked), failed (see TRANSFER_FAILURES).
 */
export const TRANSFER_EVENTS = ['offer', 'offered', 'accepted', 'refused', 'cancelled', 'expired', 'done', 'failed'] as const;
/**
 * Why a transfer failed: a connection lost, more bytes sent than offered, sent faster than the
 * server allows, more in flight than the window, a rule broken (a chunk out of order or of the
 * wrong kind, an acknowledgement of nothing), no progress for too long, the file did not check
 * out at the receiver, the servers of a cluster lost part of it between them.
 */
export const TRANSFER_FAILURES = ['lost', 'oversent', 'rate', 'window', 'protocol', 'stalled', 'check', 'relay'] as const;

export type NoticeEvent = (typeof NOTICE_EVENTS)[number];
export type TransferEvent = (typeof TRANSFER_EVENTS)[number];
export type TransferFailure = (typeof TRANSFER_FAILURES)[number];
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
const bytes = (min: number, max = min) => ({ kind: 'base64', min, max }) as const;
const optBytes = (min: number, max = min) => ({ kind: 'base64', min, max, optional: true }) as const;
/** A signed key bundle (KEY_BUNDLE_BYTES). */
const optKey = optBytes(KEY_BUNDLE_BYTES);
/** A transfer's id, chosen by its sender: unique among the sender's transfers. */
const fileId = { kind: 'string', max: 32, pattern: /^[A-Za-z0-9_-]{1,32}$/ } as const;
const optFileId = { ...fileId, optional: true } as const;
/** A network's id (login_ok): random, chosen once by the server or cluster; safe as part of a file key. */
export const NETWORK_ID = /^[A-Za-z0-9_-]{1,64}$/;
const networkId = { kind: 'string', max: 64, optional: true, pattern: NETWORK_ID } as const;
/** A SHA-256 digest. */
const optSha256 = optBytes(32);
/** A sealed record of a file's name and digest (an offer between partners of an encrypted chat). */
const optMeta = optBytes(SEAL_OVERHEAD, 2048);

/** What a client may send. */
export const CLIENT_MESSAGES = {
  /**
   * Log in, or register when the name is new. An empty password asks for a guest login. `since`:
   * the id of the last line this client saw (logging in again after a restart): the lines after
   * it are replayed instead of the last few.
   */
  login: { fields: { user: str(64), password: str(1024), since: optInt, features: { kind: 'strings', max: 8, optional: true } }, body: 'none' },
  /** Take over a session whose TCP connection was lost, without a password. */
  resume: { fields: { session: str(64), token: str(128) }, body: 'none' },
  /**
   * A chat line: to the group, or to the private partner while in a private session. Sealed: a
   * line of an encrypted private session (the action flag is inside it), to the partner only.
   */
  say: { fields: { group: optBool, action: optBool }, body: 'chat', sealed: true },
  /** A one-shot private message. */
  dm: { fields: { to: str(64), action: optBool }, body: 'chat' },
  /**
   * Ask `to` for a private session. `key`: a signed key offer, for an end-to-end encrypted one;
   * `plain`: knowingly unencrypted (to a peer whose client cannot encrypt).
   */
  pm_request: { fields: { to: str(64), key: optKey, plain: optBool }, body: 'none' },
  /** Answer a request; without `from`, the oldest pending one. `key`: the signed key answer. */
  pm_answer: { fields: { from: optStr(64), accept: bool, key: optKey }, body: 'none' },
  /** New keys for the encrypted private session (after a resume or a restart), or the reply to them. */
  pm_rekey: { fields: { key: bytes(KEY_BUNDLE_BYTES) }, body: 'none' },
  /**
   * Offer `to` a file of `size` bytes: its `name` and `sha256` in the open, or sealed in `meta`
   * between partners of an encrypted private session.
   */
  file_offer: { fields: { to: str(64), id: fileId, size: int, name: optStr(255), sha256: optSha256, meta: optMeta }, body: 'none' },
  /** Accept or refuse the file `id` offered by `from`. */
  file_answer: { fields: { from: str(64), id: fileId, accept: bool }, body: 'none' },
  /** Chunk `seq` (from 0) of your transfer `id`: the file's bytes, or sealed. */
  file_chunk: { fields: { id: fileId, seq: int }, body: 'binary', sealed: true },
  /** The receiver has every chunk of `from`'s transfer `id` up to `seq`. */
  file_ack: { fields: { from: str(64), id: fileId, seq: int }, body: 'none' },
  /** The receiver has the whole file and checked it: `ok` when its size and digest matched. */
  file_done: { fields: { from: str(64), id: fileId, ok: bool }, body: 'none' },
  /** Stop transfer `id`: your own, or (with `from`) one offered to you. */
  file_cancel: { fields: { id: fileId, from: optStr(64) }, body: 'none' },
  /** Leave the private session. */
  pm_exit: { fields: {}, body: 'none' },
  who: { fields: {}, body: 'none' },
  /** Older group lines: `count` (at most 200) before the line `before` (default: the newest). */
  history: { fields: { before: optInt, count: optInt }, body: 'none' },
  /**
   * The batch of offline messages whose last message (marked `receipt`) has id `id` has arrived:
   * the server deletes them and sends the next batch (clients with the `receipts` feature).
   */
  received: { fields: { id: int }, body: 'none' },
  /** Marks you away, with a message for those who write to you (`/away gone fishing`). */
  away: { fields: { message: str(200) }, body: 'none' },
  /** No longer away (`/back`). */
  back: { fields: {}, body: 'none' },
  logout: { fields: {}, body: 'none' },
} as const satisfies Record<string, MessageSpec>;

/** The types of what a client may send: an error names the one it refuses (`re`). */
const CLIENT_TYPES = Object.keys(CLIENT_MESSAGES) as (keyof typeof CLIENT_MESSAGES)[];

/** What the server sends. */
export const SERVER_MESSAGES = {
  /**
   * First frame on every connection. `maxBody`: the longest message body this server takes, in
   * bytes. `maxFile`: the largest file it relays; `fileWindow`: bytes of one transfer that may be
   * in flight (sent, not yet acknowledged); `fileRate`: file bytes a second it takes from one user.
   */
  hello: {
    fields: { server: str(64), version: str(32), guests: bool, maxBody: optInt, maxFile: optInt, fileWindow: optInt, fileRate: optInt },
    body: 'none',
  },
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
      /** Proves the client owns the session when it resumes; each resume gets a new one (README, Presence). */
      token: optStr(128),
      /** Seconds of heartbeat silence after which the server marks the user offline. */
      timeout: optInt,
      /** Partner of a private session that survived a reconnect. */
      partner: optStr(64),
      /**
       * The network this server belongs to: one id for every server of a cluster, kept across
       * restarts. Clients pin their partners' keys per network, not per server address.
       */
      network: networkId,
    },
    body: 'none',
  },
  /**
   * A refusal, naming what it refuses (see Refused in common/errors.ts), since a connection's
   * requests are not always answered in the order sent (a message stored for an offline account,
   * a round through the cluster, FILE_WAITING overtaking older file requests): `re`, the type of
   * the message refused; `user`, the recipient of a refused dm or pm_request; `id` (and `from`,
   * for an answer), the file offer or answer refused, or the transfer a refused chunk (`id`), ack
   * or done (`from`, `id`) is for.
   */
  error: {
    fields: { code: str(64), message: str(1024), retry: optInt, re: { ...oneOf(CLIENT_TYPES), optional: true }, id: optFileId, from: optStr(64), user: optStr(64) },
    body: 'none',
  },
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
      /**
       * The last offline message of a batch, to a client with the `receipts` feature: answer
       * `received` with its id; the batch stays kept (and comes again at the next login) until then.
       */
      receipt: optBool,
      /** An action (`/me waves`): shown as "* alice waves". */
      action: optBool,
    },
    body: 'text',
    /** A line of an encrypted private session, as its sender sealed it. */
    sealed: true,
  },
  /**
   * Something happened that the user should read: `event` is the machine name, `message` the
   * human sentence. `user` is the other person involved; `online` comes with changes to the user list.
   */
  notice: {
    fields: {
      event: oneOf(NOTICE_EVENTS),
      message: str(1024),
      ts: int,
      user: optStr(64),
      online: optNames,
      count: optInt,
      /** `user`'s signed key bundle: with pm_invite (the offer), pm_started (the answer), pm_rekey. */
      key: optKey,
    },
    body: 'none',
  },
  /**
   * The online list, sorted; at most the first 1,000 names, with `count` for the total. `away`:
   * those of them who are away; `awayMessages`: what each of them said (`/away MESSAGE`), in the
   * same order.
   */
  who: { fields: { online: names, count: optInt, away: optNames, awayMessages: optNames }, body: 'none' },
  /**
   * Sent just before the server closes the connection on purpose. `reason` is the stable part:
   * logout, shutdown, offline (no heartbeats), replaced (the session was resumed elsewhere),
   * kicked (removed by the operator).
   */
  bye: { fields: { message: str(1024), reason: oneOf(BYE_REASONS) }, body: 'none' },
  /**
   * A file transfer from `from` to `to` changed (`event`, see TRANSFER_EVENTS); `message` says it
   * in words. An offer carries `size` and the name and digest (or `meta`, sealed); `by` names who
   * cancelled; `reason` why it failed.
   */
  transfer: {
    fields: {
      event: oneOf(TRANSFER_EVENTS),
      id: fileId,
      from: str(64),
      to: str(64),
      message: str(1024),
      ts: int,
      size: optInt,
      name: optStr(255),
      sha256: optSha256,
      meta: optMeta,
      by: optStr(64),
      reason: { ...oneOf(TRANSFER_FAILURES), optional: true },
    },
    body: 'none',
  },
  /** Chunk `seq` of `from`'s transfer `id`, as its sender sent it. */
  file_chunk: { fields: { id: fileId, from: str(64), seq: int }, body: 'binary', sealed: true },
  /** Your transfer `id` to `to`: the receiver has every chunk up to `seq`. */
  file_ack: { fields: { id: fileId, to: str(64), seq: int }, body: 'none' },
} as const satisfies Record<string, MessageSpec>;

type FieldType<F> = F extends { values: readonly (infer V)[] }
  ? V
  : F extends { kind: 'string' | 'base64' }
  ? string
  : F extends { kind: 'boolean' }
    ? boolean
    : F extends { kind: 'integer' }
      ? number
      : string[];
type Required<T> = { [K in keyof T as T[K] extends { optional: true } ? never : K]: FieldType<T[K]> };
type Optional<T> = { [K in keyof T as T[K] extends { optional: true } ? K : never]?: FieldType<T[K]> };
type SealedOf<S> = S extends { sealed: true } ? { sealed?: boolean } : unknown;
type BodyOf<S> = S extends { body: 'text' | 'chat' }
  ? { text: string } & SealedOf<S>
  : S extends { body: 'binary' }
    ? { data: Buffer } & SealedOf<S>
    : unknown;
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

/**
 * Version of this protocol, sent in `hello`. 2: every refusal of a message the server read names
 * its type (the error's `re`), and that of a private message or a private chat request its
 * recipient (`user`), as every refusal of a file request names the request (`id`); an error that
 * names nothing is about a frame the server could not read as a message (FRAME_TOO_LARGE,
 * BAD_*, which a client avoids by checking its lines before sending them).
 */
export const PROTOCOL_VERSION = '2';

/**
 * Whether the server that sent `hello` names what each refusal of a private message, private
 * chat request or file request is about (version 2 on). A client can then take an error that
 * names nothing as about none of those: from an older server it may be about any of them.
 */
export function namesRefusals(hello: { version: string } | null): boolean {
  return hello !== null && Number(hello.version) >= 2;
}
