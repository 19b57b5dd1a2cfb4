/**
 * Private lines sent to someone whose connection has dropped. They wait in the recipient's
 * backlog for a resume; meanwhile the sender is told, once per drop, that the recipient is
 * disconnected, and if the recipient never comes back, which lines did not reach them.
 *
 * Bounded: per recipient and sender, the last LINES_KEPT lines, each cut to LINE_CHARS; the rest
 * are only counted. Recipients are sessions waiting without a connection, themselves bounded.
 */
const LINES_KEPT = 5;
const LINE_CHARS = 60;

export type UndeliveredState = [recipient: string, [sender: string, lines: string[], more: number][]][];

interface FromOne {
  lines: string[];
  more: number;
}

export class Undelivered {
  /** Recipient (folded name) → sender (folded name) → what they sent while it was away. */
  private readonly waiting = new Map<string, Map<string, FromOne>>();

  /**
   * `sender` sent `text` to `recipient`, who has no connection. True when this is the first such
   * line since the recipient's connection dropped: the sender should be told.
   */
  note(recipient: string, sender: string, text: string): boolean {
    let bySender = this.waiting.get(recipient);
    if (!bySender) this.waiting.set(recipient, (bySender = new Map()));
    let from = bySender.get(sender);
    const first = from === undefined;
    if (!from) bySender.set(sender, (from = { lines: [], more: 0 }));
    from.lines.push([...text].length > LINE_CHARS ? `${[...text].slice(0, LINE_CHARS - 1).join('')}…` : text);
    if (from.lines.length > LINES_KEPT) {
      from.lines.shift();
      from.more++;
    }
    return first;
  }

  /** `recipient` is back: everything reached it. */
  delivered(recipient: string): void {
    this.waiting.delete(recipient);
  }

  /** `recipient` is gone for good: what each sender sent it in vain (the shown lines, and how many more). */
  lost(recipient: string): Map<string, FromOne> {
    const bySender = this.waiting.get(recipient) ?? new Map<string, FromOne>();
    this.waiting.delete(recipient);
    return bySender;
  }

  /** Everything, as plain data (a cluster's checkpoint). */
  snapshot(): UndeliveredState {
    return [...this.waiting].map(([to, bySender]) => [to, [...bySender].map(([from, { lines, more }]) => [from, [...lines], more])]);
  }

  /** Replaces everything with `state` (see snapshot). */
  restore(state: UndeliveredState): void {
    this.waiting.clear();
    for (const [to, senders] of state) this.waiting.set(to, new Map(senders.map(([from, lines, more]) => [from, { lines: [...lines], more }])));
  }
}
