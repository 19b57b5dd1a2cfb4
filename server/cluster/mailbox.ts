/**
 * Offline messages on a cluster. Every server applies every message kept, so each holds the same
 * boxes in memory; the server a message was sent on writes it to Redis (the sender is told once it
 * is there). Only the server a user logs in on hands their messages over, batch by batch, as its
 * client confirms each (the receipts feature; a client without it: as its connection takes each,
 * see Recall): it removes each batch from Redis and says so in the shared log ("taken up to id"),
 * and every other server drops from its copy just that. A delivery cut off halfway leaves the
 * batch not confirmed and the rest in every copy, for a next login on any server.
 */
import type { Clock } from '../../common/clock.js';
import { Boxes, MailboxFailed, type Kept, type Mailbox } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { KEYS, type Redis } from './redis.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Removes the messages with an id up to ARGV[1] from the head of the list KEYS[1], where a
 * delivery takes them: the cost is the messages taken, not the list (decoding the whole list for
 * every batch held Redis, and with it every server, for seconds at a big mailbox's login). The
 * list is in the order the messages were kept, which is id order but for two servers keeping at
 * the same instant: a message overtaken so goes with the batch after, or at worst, its delivery
 * cut in between, once more after a restart (at least once, never lost). A row that is not a
 * message goes with what is taken, as it can never be handed over.
 */
const TAKE = `
local upTo = tonumber(ARGV[1])
local n = 0
while true do
  local m = redis.call('LINDEX', KEYS[1], 0)
  if not m then break end
  local ok, v = pcall(cjson.decode, m)
  if ok and type(v) == 'table' and type(v.id) == 'number' and v.id > upTo then break end
  redis.call('LPOP', KEYS[1])
  n = n + 1
end
return n`;

export interface SharedMailboxOptions {
  days: number;
  clock: Clock;
  log: Logger;
  /** Whether the event being applied was asked for on this server. */
  mine: () => boolean;
  /** Whether `user` is connected to this server: their messages are handed over here. */
  serves: (user: string) => boolean;
  /** Tells the other servers, through the log, that `user`'s messages up to `upTo` were taken. */
  taken: (user: string, upTo: number) => Promise<void>;
  /** Tells the other servers, through the log, that the message `id` for `user` could not be stored. */
  unkept: (user: string, id: number) => Promise<void>;
}

export class SharedMailbox implements Mailbox {
  lastId = 0;
  private readonly boxes = new Boxes();

  private constructor(
    private readonly redis: Redis,
    private readonly options: SharedMailboxOptions,
  ) {}

  static async open(redis: Redis, options: SharedMailboxOptions): Promise<SharedMailbox> {
    const box = new SharedMailbox(redis, options);
    let n = 0;
    for await (const keys of redis.scanIterator({ MATCH: KEYS.mailPattern, COUNT: 500 })) {
      for (const key of keys) {
        const user = key.slice(KEYS.mailPattern.length - 1);
        for (const row of await redis.lRange(key, 0, -1)) {
          const m = parse(row);
          if (m && box.insert(user, m)) n++;
        }
      }
    }
    options.log.info(`Offline messages: ${n} read from Redis`);
    return box;
  }

  waiting(user: string): number {
    this.expire(user);
    return this.boxes.get(user)?.length ?? 0;
  }

  waitingFrom(user: string, from: string): number {
    this.expire(user);
    return this.boxes.countFrom(user, from);
  }

  fromSender(from: string): number {
    for (const user of this.boxes.recipientsOf(from)) this.expire(user);
    return this.boxes.fromSender(from);
  }

  put(user: string, message: Kept): Promise<void> {
    this.insert(user, message);
    if (!this.options.mine()) return Promise.resolve();
    return this.redis.rPush(KEYS.mail(user), JSON.stringify(message)).then(
      () => undefined,
      (e: Error) => {
        // Every copy holds it already (the event was applied everywhere): the sender is told it
        // was not kept, so no copy may hand it over, or a second try would arrive twice.
        this.drop(user, message.id);
        this.options.unkept(user, message.id).catch((why: Error) =>
          this.options.log.warn(`Offline messages: could not tell the other servers that message ${message.id} for ${user} was not kept: ${why.message}`),
        );
        throw new MailboxFailed(`could not store it in Redis: ${e.message}`);
      },
    );
  }

  /** The message `id` for `user` was not kept after all (see put): gone from this copy. */
  drop(user: string, id: number): void {
    this.boxes.filter(user, (k) => k.id !== id);
  }

  /**
   * What this server hands over: nothing where the user is not connected (their own server hands
   * it, and this copy learns what was taken from the log: forget).
   */
  peek(user: string): readonly Kept[] {
    this.expire(user);
    return this.options.serves(user) ? (this.boxes.get(user) ?? []) : [];
  }

  taken(user: string, upTo: number): void {
    this.boxes.dropTaken(user, upTo);
    const warn = (what: string) => (e: Error) => this.options.log.warn(`Offline messages: could not ${what} the messages ${user} took: ${e.message}`);
    this.redis.eval(TAKE, { keys: [KEYS.mail(user)], arguments: [String(upTo)] }).catch(warn('remove from Redis'));
    // Not told, the others would hand these again at a login there (at least once, never lost).
    this.options.taken(user, upTo).catch(warn('tell the other servers'));
  }

  /** Another server handed `user` their messages up to `upTo`. */
  forget(user: string, upTo: number): void {
    this.boxes.dropTaken(user, upTo);
  }

  /** Adds in id order; false if already there (read from Redis and from the log both). */
  private insert(user: string, m: Kept): boolean {
    if (this.boxes.get(user)?.some((k) => k.id === m.id)) return false;
    this.boxes.add(user, m);
    this.lastId = Math.max(this.lastId, m.id);
    return true;
  }

  private expire(user: string): void {
    this.boxes.expire(user, this.options.clock.now() - this.options.days * DAY_MS);
  }
}

function parse(row: string): Kept | null {
  try {
    const v = JSON.parse(row) as Partial<Kept>;
    if (typeof v.id === 'number' && typeof v.ts === 'number' && typeof v.from === 'string' && typeof v.to === 'string' && typeof v.text === 'string') {
      return { id: v.id, ts: v.ts, from: v.from, to: v.to, text: v.text, ...(v.action === true ? { action: true } : {}) };
    }
  } catch {
    // not ours
  }
  return null;
}
