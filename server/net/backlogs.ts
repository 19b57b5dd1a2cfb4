/**
 * What waits for users whose connection dropped, until they resume: encoded frames, kept per user
 * up to `perUser` bytes (the newest), and for everyone together up to `total` bytes. Past the
 * total, the oldest frames of the user who has waited longest go first (the one least likely to
 * come back). So a crowd of sessions without a connection holds at most `total` bytes of output,
 * whatever is sent to them.
 */

/** What is kept for one user at most: the newest frames up to this many bytes. */
export const BACKLOG_BYTES = 256 * 1024;

/** One user's kept output. A new one is opened each time the user's connection drops. */
export interface Kept {
  frames: Buffer[];
  bytes: number;
  /** False once delivered or discarded. */
  live: boolean;
  /** When it was opened, in opening order: the smaller, the longer its user has waited. */
  readonly seq: number;
  /** In the queue of backlogs holding frames (or, once done, not yet cleared from it). */
  queued: boolean;
}

export class Backlogs {
  /** Bytes kept for everyone. */
  bytes = 0;
  /** Frames dropped for lack of room, since the start. */
  dropped = 0;
  private opened = 0;
  /**
   * Backlogs holding frames, a heap by opening order: the longest waiting on top, also when it
   * was emptied once and holds frames again. Backlogs done are cleared from it lazily.
   */
  private readonly holding: Kept[] = [];
  /** Backlogs done but still in `holding`. */
  private stale = 0;

  constructor(
    private readonly perUser: number,
    private readonly total: number,
  ) {}

  open(): Kept {
    return { frames: [], bytes: 0, live: true, seq: this.opened++, queued: false };
  }

  keep(k: Kept, frame: Buffer): void {
    if (!k.live) return;
    k.frames.push(frame);
    k.bytes += frame.length;
    this.bytes += frame.length;
    if (!k.queued) this.push(k);
    while (k.bytes > this.perUser && k.frames.length > 1) this.shift(k);
    while (this.bytes > this.total) this.shift(this.longestWaiting());
  }

  /** Hands over what was kept (the user is back); `k` is done. */
  take(k: Kept): Buffer[] {
    const frames = k.frames;
    this.discard(k);
    return frames;
  }

  /** Forgets what was kept (the session ended); `k` is done. */
  discard(k: Kept): void {
    if (!k.live) return;
    k.live = false;
    this.bytes -= k.bytes;
    k.frames = [];
    k.bytes = 0;
    if (k.queued && ++this.stale > 64 && this.stale * 2 > this.holding.length) this.compact();
  }

  private shift(k: Kept): void {
    const frame = k.frames.shift()!;
    k.bytes -= frame.length;
    this.bytes -= frame.length;
    this.dropped++;
  }

  /** The live backlog on top of the heap; one it has just emptied leaves the heap. */
  private longestWaiting(): Kept {
    for (;;) {
      const top = this.holding[0]!;
      if (top.live && top.frames.length > 0) return top;
      this.pop();
      if (!top.live) this.stale--;
    }
  }

  /** Drops the backlogs done from the heap, so it never grows with sessions long gone. */
  private compact(): void {
    const live = this.holding.filter((k) => k.live);
    for (const k of this.holding) k.queued = false;
    this.holding.length = 0;
    this.stale = 0;
    for (const k of live) this.push(k);
  }

  private push(k: Kept): void {
    const h = this.holding;
    k.queued = true;
    let i = h.length;
    h.push(k);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.seq <= k.seq) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = k;
  }

  private pop(): void {
    const h = this.holding;
    h[0]!.queued = false;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= h.length) break;
      if (child + 1 < h.length && h[child + 1]!.seq < h[child]!.seq) child++;
      if (h[child]!.seq >= last.seq) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
  }
}
