/**
 * What the room remembers beyond the present: the group lines said before (History), and private
 * messages kept for accounts while they are offline (Mailbox). The room speaks to them through
 * these interfaces only; the embedded files (server/store/history-file.ts, mailbox-file.ts) are
 * one implementation, a shared store for several servers would be another.
 */
import { Boxes } from './boxes.js';

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
