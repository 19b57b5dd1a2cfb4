/**
 * One client connection: bytes from any duplex stream (TCP, TLS, or an in-memory pair in tests)
 * to typed messages, and encoded bytes back out. It knows no users and no chat rules; what a
 * message means is the dispatcher's business, and what is sent to it comes from Delivery.
 *
 * BaseConnection is what every wire format shares: the named states and the login deadline,
 * output batching and its cap, the per-turn input ration, strikes before login, and an
 * idempotent close. A subclass only turns bytes into messages: `Connection` reads tinychat's
 * frames (here); `IrcConnection` (irc/connection.ts) reads IRC lines.
 *
 * Output is batched (see Batcher): bytes written during one turn go out in a single socket
 * write; a batch that reaches 64 KiB is written at once. A reader that stops reading has its
 * unsent output (what the socket could not take) capped; past the cap it is disconnected, so one
 * slow client cannot grow the server or hold up the others.
 *
 * Input is rationed: at most FRAMES_PER_TURN units (frames, lines) of one connection are handled
 * per event-loop turn, whatever their type or validity; past that, reading pauses (TCP pushes
 * back on the sender) and goes on next turn. One connection pumping cheap input then costs the
 * others at most one ration of delay per turn. Before login, a connection whose input is not a
 * login (unreadable, unknown, or anything else) is closed after MAX_STRIKES of them.
 */
import type { Duplex } from 'node:stream';
import { FrameDecoder, validate, type Decoded } from '../../common/codec.js';
import { ChatError, chatError } from '../../common/errors.js';
import { CLIENT_MESSAGES, type ClientMessage } from '../../common/protocol.js';
import type { Cancel, Clock } from '../../common/clock.js';
import type { Counters } from '../counters.js';
import type { Batcher, Flushable } from './batcher.js';
import { NATIVE, type Peer, type Wire } from './wire.js';

/**
 * A connection's life: awaiting-login → (a login) authenticating → ready, or back to
 * awaiting-login when the login is refused; closed from any state.
 */
export type ConnState = 'awaiting-login' | 'authenticating' | 'ready' | 'closed';

export interface ConnectionEvents {
  /** A message for the dispatcher; the promise (if any) settles once it has been handled. */
  message(conn: BaseConnection, msg: ClientMessage): void | Promise<void>;
  /**
   * The peer sent something unreadable, or too much that was not a login: tell it (the connection
   * closes itself after a fatal error).
   */
  invalid(conn: BaseConnection, error: ChatError): void;
  closed(conn: BaseConnection, reason: string): void;
  /** A bug surfaced while serving this connection; it has been closed, the server goes on. */
  fault(conn: BaseConnection, error: unknown): void;
}

export interface ConnectionOptions {
  maxBody: number;
  maxOutput: number;
  clock: Clock;
  batcher: Batcher;
  /** Counts slow readers dropped, if given. */
  counters?: Counters;
}

/** Queued bytes that are written at once rather than at the end of the turn. */
const FLUSH_AT = 64 * 1024;
/** Frames (or lines) of one connection handled per event-loop turn. */
export const FRAMES_PER_TURN = 32;
/** Frames (or lines) before login that are not a login, after which the connection is closed. */
export const MAX_STRIKES = 10;
/** After close(), how long a peer that never reads its last bytes keeps its socket. */
const LINGER_MS = 2000;

/**
 * The connection a stream serves. The stream's listeners below are shared by every connection
 * and find theirs through it: four closures (and their context) per connection were a tenth of
 * the heap of a logged-in user (heap snapshot at 10,000 users).
 */
const CONN = Symbol('connection');
type Served = Duplex & { [CONN]: BaseConnection };
function onData(this: Served, chunk: Buffer): void {
  this[CONN].receive(chunk);
}
function onEnd(this: Served): void {
  this[CONN].close('connection closed by peer');
}
function onClose(this: Served): void {
  this[CONN].close('connection closed');
}
function onError(this: Served, e: Error): void {
  this[CONN].close(`socket error: ${e.message}`);
}
function onDrain(this: Served): void {
  this[CONN].drained(true);
}
/** A turn's input ration, next turn (setImmediate's argument: no closure per connection). */
const handleLater = (conn: BaseConnection): void => conn.handleSome();
/** Once logged in, nothing expires: the login deadline's callback (a closure) is let go. */
const NO_EXPIRY = (): void => {};

export abstract class BaseConnection implements Flushable {
  /** How messages are encoded for this connection. */
  abstract readonly wire: Wire;
  /** What the wire keeps about this connection's user (see Wire). */
  abstract readonly peer: Peer;
  private current: ConnState = 'awaiting-login';
  /** The (case-folded) user this connection delivers to, once logged in; kept by Delivery. */
  user: string | null = null;
  /** Cancels the login deadline, while one is set. */
  private cancelLoginTimer: Cancel | null = null;
  /** The login deadline passed while a login was being checked: close if that login fails. */
  private loginExpired = false;
  /** What to do when the login deadline has passed (tell the peer and close). */
  private expire: (conn: BaseConnection) => void = NO_EXPIRY;
  /** Output queued this turn; null when none (most connections, most of the time). */
  private out: Buffer[] | null = null;
  private outBytes = 0;
  /** Whether any bytes have arrived yet. */
  private spoke = false;
  /** Reading is paused until the next turn: this turn's ration is used up (or a turn is scheduled). */
  private rationed = false;
  /** Input waits for the subclass (see waiting()); proceed() goes on. */
  private inputHeld = false;
  /** Units before login that were not a login. */
  private strikes = 0;
  /** Waiting for the socket to take what it holds (see whenDrained); null when none wait. */
  private drainWaiters: ((open: boolean) => void)[] | null = null;

  constructor(
    protected readonly stream: Duplex,
    readonly address: string,
    readonly port: number,
    protected readonly options: ConnectionOptions,
    protected readonly events: ConnectionEvents,
  ) {
    (stream as Served)[CONN] = this;
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onClose);
    stream.on('error', onError);
  }

  /** Takes received bytes into the decoder. */
  protected abstract take(chunk: Buffer): void;
  /** Handles the next decoded unit (frame, line); false when none is complete yet. */
  protected abstract handleNext(): boolean;
  /** Whether input must wait before the next unit (an IRC line waits for the login before it). */
  protected waiting(): boolean {
    return false;
  }

  get state(): ConnState {
    return this.current;
  }

  get label(): string {
    return `${this.address}:${this.port}`;
  }

  get closed(): boolean {
    return this.current === 'closed';
  }

  /** Queues encoded bytes (a broadcast's are shared between recipients). Closed: does nothing. */
  write(bytes: Buffer): void {
    if (this.current === 'closed' || bytes.length === 0) return;
    const first = this.out === null;
    (this.out ??= []).push(bytes);
    this.outBytes += bytes.length;
    // A big batch goes to the socket now: a reader that keeps up takes it at once, so a burst
    // (several large messages in one turn) does not look like a slow reader.
    if (this.outBytes >= FLUSH_AT) return this.flushAndCheck();
    if (first) this.options.batcher.mark(this);
  }

  /** Writes what is queued in one go. */
  private flush(): void {
    if (this.out === null || this.stream.destroyed) return;
    const out = this.out;
    const size = this.outBytes;
    this.out = null;
    this.outBytes = 0;
    this.stream.write(out.length === 1 ? out[0]! : this.options.batcher.join(out, size));
  }

  /**
   * Flushes, then applies the output cap to what the socket could not take: a reader that has
   * stopped reading. Checked once per write to the socket, not once per frame, since the queue
   * itself never holds more than FLUSH_AT.
   */
  flushAndCheck(): void {
    this.flush();
    if (this.current !== 'closed' && this.stream.writableLength > this.options.maxOutput) {
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
    if (this.current !== 'closed') this.flushAndCheck();
    if (this.current === 'closed') return then(false);
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
        this.events.fault(this, e);
      }
    }
  }

  /**
   * Slowloris: whatever it trickles, a connection that has not logged in by the deadline goes. A
   * login already sent and being checked (queued for a hash thread in a login storm, say) may
   * finish; if it is refused, endLogin() closes the connection.
   */
  startLoginDeadline(ms: number, expire: (conn: BaseConnection) => void): void {
    this.expire = expire;
    this.cancelLoginTimer = this.options.clock.after(ms, () => {
      this.cancelLoginTimer = null;
      if (this.current === 'authenticating') this.loginExpired = true;
      else if (this.current === 'awaiting-login') this.expire(this);
    });
  }

  /** A login arrived. False when one is already being checked, or the user is logged in. */
  beginLogin(): boolean {
    if (this.current !== 'awaiting-login') return false;
    this.current = 'authenticating';
    return true;
  }

  /** The login was refused (or never started): ready for another try, unless its time is up. */
  endLogin(): void {
    if (this.current !== 'authenticating') return;
    this.current = 'awaiting-login';
    if (this.loginExpired) this.expire(this);
  }

  /** Logged in (or resumed): the deadline no longer applies; its timer's closure is dropped. */
  loggedIn(): void {
    if (this.current === 'closed') return;
    this.current = 'ready';
    this.clearLoginDeadline();
    this.expire = NO_EXPIRY;
  }

  private clearLoginDeadline(): void {
    this.cancelLoginTimer?.();
    this.cancelLoginTimer = null;
  }

  /**
   * Ends the connection after what is queued has been written (a `bye` goes out first). Safe to
   * call any number of times; only the first reason is reported.
   */
  close(reason: string): void {
    if (this.current === 'closed') return;
    this.flush();
    this.current = 'closed';
    this.options.batcher.unmark(this);
    this.clearLoginDeadline();
    this.ended();
    this.drained(false);
    this.stream.end();
    // A peer that never reads would keep a half-closed socket forever: give it a moment, then cut.
    const cancel = this.options.clock.after(LINGER_MS, () => this.stream.destroy());
    this.stream.once('close', cancel);
    try {
      this.events.closed(this, reason);
    } catch (e) {
      this.events.fault(this, e);
    }
  }

  /** Closing: a subclass clears its own timers here. */
  protected ended(): void {}

  /** Drops the connection at once, discarding queued output. */
  destroy(reason: string): void {
    if (this.current === 'closed') return;
    this.out = null;
    this.outBytes = 0;
    this.close(reason);
    this.stream.destroy();
  }

  /**
   * Socket data: anything thrown on the way is a bug; it costs this connection, not the server.
   * Public only for the shared stream listeners (onData); nothing else calls it.
   */
  receive(chunk: Buffer): void {
    if (this.current === 'closed') return;
    // A TLS ClientHello (record type 0x16, version 3.x) on a plaintext port: say so in the log
    // rather than wait for 5 KiB of "header" that never comes.
    if (!this.spoke && chunk[0] === 0x16 && chunk[1] === 0x03) {
      this.destroy('TLS handshake on a plaintext port (client using TLS?)');
      return;
    }
    this.spoke = true;
    try {
      this.take(chunk);
    } catch (e) {
      this.events.fault(this, e);
      this.destroy('internal error');
      return;
    }
    // Rationed: bytes already on their way when reading paused wait for the next turn's ration.
    if (!this.rationed) this.handleSome();
  }

  /**
   * Handles this turn's ration of input; pauses reading if more is waiting. Public only for
   * handleLater (the next turn's call); nothing else calls it.
   */
  handleSome(): void {
    this.rationed = false;
    try {
      for (let n = 0; n < FRAMES_PER_TURN; n++) {
        if (this.current === 'closed') return; // a handler may have closed us
        if (this.waiting()) {
          // Nothing more is read until proceed(): what is buffered is all that waits.
          this.inputHeld = true;
          this.stream.pause();
          return;
        }
        if (!this.handleNext()) {
          if (this.stream.isPaused()) this.stream.resume();
          return;
        }
      }
      if (this.current === 'closed') return;
      this.rationed = true;
      this.stream.pause();
      setImmediate(handleLater, this);
    } catch (e) {
      this.events.fault(this, e);
      this.destroy('internal error');
    }
  }

  /** What held input up is over (see waiting()): go on with it next turn. */
  protected proceed(): void {
    if (!this.inputHeld || this.current === 'closed') return;
    this.inputHeld = false;
    if (this.rationed) return; // a turn is already scheduled
    this.rationed = true;
    setImmediate(handleLater, this);
  }

  /** Before login, a unit that is not a login counts; too many and the connection goes. */
  protected strike(): void {
    if (this.current !== 'awaiting-login' || ++this.strikes < MAX_STRIKES) return;
    this.events.invalid(this, chatError('NOT_A_LOGIN', MAX_STRIKES));
    this.close(`${MAX_STRIKES} frames before login that were not a login`);
  }
}

/** A connection speaking tinychat's own frames (common/codec.ts). */
export class Connection extends BaseConnection {
  readonly wire: Wire = NATIVE;
  readonly peer: Peer = null;
  private readonly decoder: FrameDecoder;

  constructor(stream: Duplex, address: string, port: number, options: ConnectionOptions, events: ConnectionEvents) {
    super(stream, address, port, options, events);
    this.decoder = new FrameDecoder(options.maxBody);
  }

  protected take(chunk: Buffer): void {
    this.decoder.feed(chunk);
  }

  protected handleNext(): boolean {
    const next = this.decoder.next();
    if (next === null) return false;
    this.handle(next);
    return true;
  }

  private handle({ frame, error }: Decoded): void {
    if (error) {
      this.events.invalid(this, error);
      if (error.fatal) return this.close(`protocol error: ${error.message}`);
      return this.strike();
    }
    const msg = validate<ClientMessage>(frame, CLIENT_MESSAGES);
    if (msg instanceof ChatError) {
      this.events.invalid(this, msg);
      return this.strike();
    }
    if (msg.type !== 'login' && msg.type !== 'resume') this.strike();
    if (!this.closed) void this.events.message(this, msg);
  }
}
