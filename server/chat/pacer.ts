/**
 * Bulk replies, paced. What the server itself chooses to send one user in bulk (the messages that
 * waited for them, the lines they missed) goes out one batch at a time, the next once the
 * transport has taken the last (Outbox.drained). So the reply never piles up in the server: the
 * output cap still measures how fast the user reads, not how much was said while they were away,
 * and no one turn encodes megabytes while everyone else waits.
 *
 * A user's bulk replies run one after another, in the order asked; if their connection is lost,
 * the rest is dropped (what was not handed over stays where it was kept). A job may wait for
 * something else than the transport between its batches (Job.wait: a client's receipt).
 */

/** One bulk reply: each call sends its next batch; false once there is nothing left to send. */
export interface Job {
  step(): boolean;
  /**
   * What the step after one that returned true waits for, when not the transport (a client's
   * receipt, see Receipts): calls `then` as Drained does.
   */
  wait?(then: (open: boolean) => void): void;
  /** The job was stopped before it finished: the connection lost, or its wait ended (see Receipts.cut). */
  stopped?(): void;
}

/** Waits until what was sent to `user` has been taken (true), or their connection is lost (false). */
export type Drained = (user: string, then: (open: boolean) => void) => void;

export class Pacer {
  /** The jobs of each user with one under way; the first is running. */
  private readonly queues = new Map<string, Job[]>();

  constructor(private readonly drained: Drained) {}

  /** Runs `job` for `user`: its first batch now, or after the jobs already queued for them. */
  run(user: string, job: Job): void {
    const queue = this.queues.get(user);
    if (queue) {
      queue.push(job);
      return;
    }
    const mine = [job];
    this.queues.set(user, mine);
    this.next(user, mine);
  }

  /** One batch of the running job; then, if anything is left, waits for its `wait` (a receipt), or else the transport. */
  private next(user: string, queue: Job[]): void {
    // A loop, not recursion, for transports that are drained at once (another server's user).
    for (;;) {
      const job = queue[0]!;
      const more = job.step();
      if (!more) queue.shift();
      if (queue.length === 0) {
        this.queues.delete(user);
        return;
      }
      let now: boolean | undefined;
      let waiting = true;
      const then = (open: boolean) => {
        if (waiting) now = open;
        else if (this.queues.get(user) === queue) this.resume(user, queue, open);
      };
      if (more && job.wait) job.wait(then);
      else this.drained(user, then);
      waiting = false;
      if (now === undefined) return; // called back later
      if (!now) return this.stop(user, queue);
    }
  }

  private resume(user: string, queue: Job[], open: boolean): void {
    if (open) this.next(user, queue);
    else this.stop(user, queue);
  }

  private stop(user: string, queue: Job[]): void {
    if (this.queues.get(user) === queue) this.queues.delete(user);
    for (const job of queue.splice(0)) job.stopped?.();
  }
}
