/**
 * The way out of a connection: every byte sent to it goes through `write`, batched, capped and
 * drained here. BaseConnection (connection.ts) builds on it with the states, the login deadline
 * and the input; it is its own layer because output has state and rules of its own (the queue,
 * the cap, who waits for the socket) and touches the rest only to ask whether the connection is
 * closed and to destroy a slow reader. A base class rather than an object the connection holds:
 * a connection is the largest part of a logged-in user's memory, and this adds nothing to it.
 *
 * Output is batched (see Batcher): bytes written during one turn go out in a single socket
 * write; a batch that reaches 64 KiB is written at once. A reader that stops reading has its
 * unsent output (what the socket could not take) capped; past the cap it is disconnected, so one
 * slow client cannot grow the server or hold up the others.
 */
import type { Duplex } from 'node:stream';
import type { Counters } from '../counters.js';
import type { Batcher, Flushable } from './batcher.js';

export interface OutletOptions {
  maxOutput: number;
  batcher: Batcher;
  /** Counts slow readers dropped, if given. */
  counters?: Counters;
}

/** Queued bytes that are written at once rather than at the end of the turn. */
const FLUSH_AT = 64 * 1024;

/**
 * The connection a stream serves. The stream's listeners are shared by every connection and find
 * theirs through it: four closures (and their context) per connection were a tenth of the heap
 * of a logged-in user (heap snapshot at 10,000 users).
 */
export const CONN = Symbol('connection');
export type Served<C> = Duplex & { [CONN]: C };

function onDrain(this: Served<Outlet>): void {
  this[CONN].drained(true);
}

export abstract class Outlet implements Flushable {
  /** Output queued this turn; null when none (most connections, most of the time). */
  private out: Buffer[] | null = null;
  private outBytes = 0;
  /** Waiting for the socket to take what it holds (see whenDrained); null when none wait. */
  private drainWaiters: ((open: boolean) => void)[] | null = null;

  constructor(
    protected readonly stream: Duplex,
    protected readonly options: OutletOptions,
  ) {
    (stream as Served<Outlet>)[CONN] = this;
  }

  abstract get closed(): boolean;
  /** Drops the connection at once, discarding queued output. */
  abstract destroy(reason: string): void;
  /** A bug surfaced while serving this connection (a drain waiter threw). */
  protected abstract fault(error: unknown): void;

  /** Queues encoded bytes (a broadcast's are shared between recipients). Closed: does nothing. */
  write(bytes: Buffer): void {
    if (this.closed || bytes.length === 0) return;
    const first = this.out === null;
    (this.out ??= []).push(bytes);
    this.outBytes += bytes.length;
    // A big batch goes to the socket now: a reader that keeps up takes it at once, so a burst
    // (several large messages in one turn) does not look like a slow reader.
    if (this.outBytes >= FLUSH_AT) return this.flushAndCheck();
    if (first) this.options.batcher.mark(this);
  }

  /** Writes what is queued in one go. */
  protected flush(): void {
    if (this.out === null || this.stream.destroyed) return;
    const out = this.out;
    const size = this.outBytes;
    this.out = null;
    this.outBytes = 0;
    this.stream.write(out.length === 1 ? out[0]! : this.options.batcher.join(out, size));
  }

  /** Forgets what is queued (the connection is being destroyed). */
  protected discard(): void {
    this.out = null;
    this.outBytes = 0;
  }

  /**
   * Flushes, then applies the output cap to what the socket could not take: a reader that has
   * stopped reading. Checked once per write to the socket, not once per frame, since the queue
   * itself never holds more than FLUSH_AT.
   */
  flushAndCheck(): void {
    this.flush();
    if (!this.closed && this.stream.writableLength > this.options.maxOutput) {
      if (this.options.counters) this.options.counters.slowReaders++;
      this.destroy(`output over ${this.options.maxOutput} bytes unread (slow reader)`);
    }
  }

  /**
   * Calls `then(true)` once the socket has taken what is queued (at once if it already has), or
   * `then(false)` if the connection closes first. A bulk reply writes its next batch then: at most
   * one batch of it waits in the server at a time, so it never trips the output cap by itself.
   */
  whenDrained(then: (open: boolean) => void): void {
    if (!this.closed) this.flushAndCheck();
    if (this.closed) return then(false);
    if (!this.stream.writableNeedDrain) return then(true);
    if (this.drainWaiters === null) {
      this.drainWaiters = [];
      this.stream.once('drain', onDrain);
    }
    this.drainWaiters.push(then);
  }

  /** The socket took its buffer (`open`), or the connection closed: tells whoever waited. */
  drained(open: boolean): void {
    const waiters = this.drainWaiters;
    if (waiters === null) return;
    this.drainWaiters = null;
    if (!open) this.stream.off('drain', onDrain);
    for (const then of waiters) {
      try {
        then(open);
      } catch (e) {
        this.fault(e);
      }
    }
  }
}
