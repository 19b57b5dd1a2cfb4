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
}

export class Backlogs {
  /** Bytes kept for everyone. */
  bytes = 0;
  /** Frames dropped for lack of room, since the start. */
  dropped = 0;
  /** Backlogs holding frames, in the order they were opened (the longest waiting first). */
  private readonly holding = new Set<Kept>();

  constructor(
    private readonly perUser: number,
    private readonly total: number,
  ) {}

  open(): Kept {
    return { frames: [], bytes: 0, live: true };
  }

  keep(k: Kept, frame: Buffer): void {
    if (!k.live) return;
    k.frames.push(frame);
    k.bytes += frame.length;
    this.bytes += frame.length;
    this.holding.add(k);
    while (k.bytes > this.perUser && k.frames.length > 1) this.shift(k);
    while (this.bytes > this.total) this.shift(this.holding.values().next().value!);
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
    this.holding.delete(k);
    k.frames = [];
    k.bytes = 0;
  }

  private shift(k: Kept): void {
    const frame = k.frames.shift()!;
    k.bytes -= frame.length;
    this.bytes -= frame.length;
    this.dropped++;
    if (k.frames.length === 0) this.holding.delete(k);
  }
}
