/**
 * Output batching for one server's connections: frames written during one event-loop turn go out
 * in a single socket write per connection, at the end of the turn, which is what keeps group
 * fan-out cheap. One Batcher per server, so two servers in one process (the specs run many) never
 * share state.
 *
 * End of turn is setImmediate, not a timer: it is "after the I/O of this turn", not a duration,
 * so there is nothing for a clock to advance.
 */

/** What the batcher flushes: a connection with output queued. */
export interface Flushable {
  flushAndCheck(): void;
}

export class Batcher {
  private readonly dirty = new Set<Flushable>();
  private scheduled = false;
  /**
   * The last batch joined into one buffer. Every recipient of the same broadcasts in one turn has
   * the same frames queued, in the same order: the first of them joins the batch and the rest
   * write that same buffer. A broadcast then costs one copy per turn, not one per recipient, and
   * one plain write per recipient (a corked writev costs stream work per frame).
   */
  private joinedFrames: Buffer[] = [];
  private joinedBytes: Buffer | null = null;

  /** `c` has output: flush it at the end of this turn. */
  mark(c: Flushable): void {
    this.dirty.add(c);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushAll);
  }

  /** `c` flushed by itself (or closed): nothing left for the end of the turn. */
  unmark(c: Flushable): void {
    this.dirty.delete(c);
  }

  /** `frames` (of `size` bytes in all) as one buffer, shared with whoever queued the same frames. */
  join(frames: Buffer[], size: number): Buffer {
    if (this.joinedBytes === null || !sameFrames(frames, this.joinedFrames)) {
      this.joinedFrames = frames;
      this.joinedBytes = Buffer.concat(frames, size);
    }
    return this.joinedBytes;
  }

  private readonly flushAll = (): void => {
    this.scheduled = false;
    for (const c of this.dirty) c.flushAndCheck();
    this.dirty.clear();
    this.joinedFrames = [];
    this.joinedBytes = null;
  };
}

/** Whether two batches hold the very same frame buffers (identity, not content: cheap). */
function sameFrames(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
