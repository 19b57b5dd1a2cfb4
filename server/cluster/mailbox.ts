/**
 * Offline messages on a cluster. Every server applies every message kept and every login, so each
 * holds the same boxes in memory and agrees on what a login hands over; the server a message was
 * sent on writes it to Redis (the sender is told once it is there), and the server a user logs in
 * on removes from Redis what it handed over, batch by batch, as its connection took each (see
 * Pacer); the other servers, with nothing to write, forget the box at the login.
 */
import type { Clock } from '../../common/clock.js';
import { countFrom, dropTaken, type Kept, type Mailbox } from '../chat/history.js';
import type { Logger } from '../logger.js';
import { expireBox } from '../store/mailbox-file.js';
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
  mine: () => boolean;
}

export class SharedMailbox implements Mailbox {
  lastId = 0;
  private readonly boxes = new Map<string, Kept[]>();
  /** Users whose login was on this server: what they are handed is removed from Redis here. */
  private readonly handing = new Set<string>();

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
    return countFrom(this.boxes.get(user), from);
  }

  put(user: string, message: Kept): Promise<void> {
    this.insert(user, message);
    if (!this.options.mine()) return Promise.resolve();
    return this.redis.rPush(KEYS.mail(user), JSON.stringify(message)).then(() => undefined);
  }

  /** Called at a login as it is applied: whether it was this server's is known only then. */
  peek(user: string): readonly Kept[] {
    this.expire(user);
    if (this.options.mine()) this.handing.add(user);
    return this.boxes.get(user) ?? [];
  }

  taken(user: string, upTo: number): void {
    dropTaken(this.boxes, user, upTo);
    if (!this.handing.has(user)) return;
    if (!this.boxes.has(user)) this.handing.delete(user);
    this.redis
      .eval(TAKE, { keys: [KEYS.mail(user)], arguments: [String(upTo)] })
      .catch((e: Error) => this.options.log.warn(`Offline messages: could not remove ${user}'s from Redis: ${e.message}`));
  }

  /** Adds in id order; false if already there (read from Redis and from the log both). */
  private insert(user: string, m: Kept): boolean {
    const box = this.boxes.get(user) ?? [];
    if (box.some((k) => k.id === m.id)) return false;
    box.push(m);
    box.sort((a, b) => a.id - b.id);
    this.boxes.set(user, box);
    this.lastId = Math.max(this.lastId, m.id);
    return true;
  }

  private expire(user: string): void {
    expireBox(this.boxes, user, this.options.clock.now() - this.options.days * DAY_MS);
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
