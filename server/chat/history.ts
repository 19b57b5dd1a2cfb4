/**
 * What the room remembers beyond the present: the group lines said before (History), and private
 * messages kept for accounts while they are offline (Mailbox). The room speaks to them through
 * these interfaces only; the embedded files (server/store/history-file.ts, mailbox-file.ts) are
 * one implementation, a shared store for several servers would be another.
 */

/** A group line as history keeps it. */
export interface HistoryLine {
  id: number;
  /** When it was said, ms since the epoch. */
  ts: number;
  from: string;
  text: string;
  /** An action line (`/me waves`). */
  action?: boolean;
}

export interface History {
  /** False when history is turned off: nothing is kept or replayed. */
  readonly enabled: boolean;
  /** The highest line id ever kept (0 for none): ids go on from there after a restart. */
  readonly lastId: number;
  /** Keeps a group line. Written soon after, in a batch; never waits for the disk. */
  record(line: HistoryLine): void;
  /** The newest `n` lines, oldest first. */
  last(n: number): HistoryLine[];
  /** Up to `n` lines older than `id`, oldest first, and whether there are older ones still. */
  before(id: number, n: number): { lines: HistoryLine[]; older: boolean };
  /** The lines newer than `id`, oldest first, at most `max` of them (the newest), and how many more there were. */
  after(id: number, max: number): { lines: HistoryLine[]; skipped: number };
}

/** A private message kept for an offline account. */
export interface Kept {
  id: number;
  ts: number;
  from: string;
  /** The recipient's display name. */
  to: string;
  text: string;
  /** An action line (`/me waves`). */
  action?: boolean;
}

/**
 * What Mailbox.put rejects with when the store could not keep the message (a full or broken
 * disk, Redis away): the sender is told it was not kept (MAILBOX_FAILED). Anything else it
 * throws is a bug, answered as one (logged with its stack, the connection closed).
 */
export class MailboxFailed extends Error {
  override readonly name = 'MailboxFailed';
}

export interface Mailbox {
  /** The highest message id ever kept (0 for none). */
  readonly lastId: number;
  /** How many messages wait for `user` (a folded name). */
  waiting(user: string): number;
  /** How many of them are from `from` (a display name, as Kept.from), those being stored too. */
  waitingFrom(user: string, from: string): number;
  /** How many messages from `from` wait, for every account, those being stored too. */
  fromSender(from: string): number;
  /** Keeps a message for `user` (folded); resolves once it is durable, rejects with MailboxFailed when it cannot be. */
  put(user: string, message: Kept): Promise<void>;
  /**
   * The messages waiting for `user` that this server is to hand over, oldest first; they stay
   * until taken(). (On a cluster: none where `user` is not connected; their server hands them.)
   */
  peek(user: string): readonly Kept[];
  /** `user` has been handed the messages up to id `upTo`: they are forgotten. */
  taken(user: string, upTo: number): void;
}

/** No history: for a server started with --history-days 0, and for specs of other things. */
export const NO_HISTORY: History = {
  enabled: false,
  lastId: 0,
  record: () => {},
  last: () => [],
  before: () => ({ lines: [], older: false }),
  after: () => ({ lines: [], skipped: 0 }),
};

/**
 * The messages kept for offline accounts, as every mailbox holds them in memory: one box per
 * recipient (a folded name), in id order, and how many wait from each sender for each recipient,
 * so the cap on one sender's messages across every recipient is checked in the time of their
 * recipients (at most the cap), not of every box (see Recall.keep).
 */
export class Boxes {
  private readonly byUser = new Map<string, Kept[]>();
  /** Sender (a display name, as Kept.from) → messages of theirs waiting, per recipient. */
  private readonly bySender = new Map<string, Map<string, number>>();

  /** Recipients with messages waiting. */
  get size(): number {
    return this.byUser.size;
  }

  get(user: string): readonly Kept[] | undefined {
    return this.byUser.get(user);
  }

  users(): IterableIterator<string> {
    return this.byUser.keys();
  }

  entries(): IterableIterator<[string, readonly Kept[]]> {
    return this.byUser.entries();
  }

  /** Adds `m` to `user`'s box, at its place by id (at the end, as ids come in order). */
  add(user: string, m: Kept): void {
    const box = this.byUser.get(user) ?? [];
    box.push(m);
    if (box.length > 1 && box[box.length - 2]!.id > m.id) box.sort((a, b) => a.id - b.id);
    this.byUser.set(user, box);
    this.count(m.from, user, 1);
  }

  /** How many of `user`'s messages are from `from`. */
  countFrom(user: string, from: string): number {
    let n = 0;
    for (const m of this.byUser.get(user) ?? []) if (m.from === from) n++;
    return n;
  }

  /** How many messages from `from` wait, for anyone. */
  fromSender(from: string): number {
    let n = 0;
    for (const count of this.bySender.get(from)?.values() ?? []) n += count;
    return n;
  }

  /**
   * Whom `from` has messages waiting for: the boxes to expire before counting theirs, since a
   * box expires when it is looked at, and one nobody looks at would hold the sender's count.
   */
  recipientsOf(from: string): string[] {
    return [...(this.bySender.get(from)?.keys() ?? [])];
  }

  /** Keeps of `user`'s box only what `keep` says; returns what went. */
  filter(user: string, keep: (m: Kept) => boolean): Kept[] {
    const box = this.byUser.get(user);
    if (!box) return [];
    const rest: Kept[] = [];
    const gone: Kept[] = [];
    for (const m of box) (keep(m) ? rest : gone).push(m);
    if (gone.length === 0) return gone;
    if (rest.length > 0) this.byUser.set(user, rest);
    else this.byUser.delete(user);
    for (const m of gone) this.count(m.from, user, -1);
    return gone;
  }

  /** Drops `user`'s messages up to id `upTo` (taken); returns them. */
  dropTaken(user: string, upTo: number): Kept[] {
    return this.filter(user, (m) => m.id > upTo);
  }

  /** Drops `user`'s messages kept before `cutoff` (expired); returns them. */
  expire(user: string, cutoff: number): Kept[] {
    return this.filter(user, (m) => m.ts >= cutoff);
  }

  private count(from: string, user: string, by: number): void {
    const counts = this.bySender.get(from) ?? new Map<string, number>();
    const n = (counts.get(user) ?? 0) + by;
    if (n > 0) counts.set(user, n);
    else counts.delete(user);
    if (counts.size > 0) this.bySender.set(from, counts);
    else this.bySender.delete(from);
  }
}

/** A mailbox in memory: for specs, and the shape every mailbox has. */
export class MemoryMailbox implements Mailbox {
  lastId = 0;
  private readonly boxes = new Boxes();

  waiting(user: string): number {
    return this.boxes.get(user)?.length ?? 0;
  }

  waitingFrom(user: string, from: string): number {
    return this.boxes.countFrom(user, from);
  }

  fromSender(from: string): number {
    return this.boxes.fromSender(from);
  }

  async put(user: string, message: Kept): Promise<void> {
    this.boxes.add(user, message);
    this.lastId = Math.max(this.lastId, message.id);
  }

  peek(user: string): readonly Kept[] {
    return this.boxes.get(user) ?? [];
  }

  taken(user: string, upTo: number): void {
    this.boxes.dropTaken(user, upTo);
  }
}
