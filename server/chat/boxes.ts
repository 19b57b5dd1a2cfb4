/**
 * The messages kept for offline accounts, as every mailbox holds them in memory: one box per
 * recipient (a folded name), in id order, and how many wait from each sender for each recipient,
 * so the cap on one sender's messages across every recipient is checked in the time of their
 * recipients (at most the cap), not of every box (see Recall.keep).
 */
import type { Kept } from './history.js';

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
