/**
 * One client connection: bytes from any duplex stream (TCP, TLS, or an in-memory pair in tests)
 * to typed messages, and encoded bytes back out. It knows no users and no chat rules; what a
 * message means is the dispatcher's business, and what is sent to it comes from Delivery.
 *
 * BaseConnection is what every wire format shares: the named states and the login deadline, the
 * per-turn input ration, strikes before login, and an idempotent close; the output (batching,
 * its cap, draining) is the Outlet's it builds on (outlet.ts). A subclass only turns bytes into
 * messages: `Connection` reads tinychat's frames (native-connection.ts); `IrcConnection`
 * (irc/connection.ts) reads IRC lines.
 *
 * Input is rationed: at most FRAMES_PER_TURN units (frames, lines) of one connection are handled
 * per event-loop turn, whatever their type or validity; past that, reading pauses (TCP pushes
 * back on the sender) and goes on next turn. One connection pumping cheap input then costs the
 * others at most one ration of delay per turn. Before login, a connection whose input is not a
 * login (unreadable, unknown, or anything else) is closed after MAX_STRIKES of them.
 */
import type { Duplex } from 'node:stream';
import { chatError, type ChatError } from '../../common/errors.js';
import type { ClientMessage } from '../../common/protocol.js';
import type { Cancel, Clock } from '../../common/clock.js';
import { socketErrorWords } from '../../common/socket-error.js';
import { CONN, Outlet, type OutletOptions, type Served } from './outlet.js';
import type { Peer, Wire } from './wire.js';

/** The start of an HTTP/1 request line: a method, a target, the version. */
const HTTP_REQUEST = /^[A-Z]{3,7} \S+ HTTP\/1\./;

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

export interface ConnectionOptions extends OutletOptions {
  maxBody: number;
  clock: Clock;
}

/** Frames (or lines) of one connection handled per event-loop turn. */
export const FRAMES_PER_TURN = 32;
/** Frames (or lines) before login that are not a login, after which the connection is closed. */
export const MAX_STRIKES = 10;
/** After close(), how long a peer that never reads its last bytes keeps its socket. */
const LINGER_MS = 2000;

// The stream's listeners, shared by every connection (see CONN).
function onData(this: Served<BaseConnection>, chunk: Buffer): void {
  this[CONN].receive(chunk);
}
function onEnd(this: Served<BaseConnection>): void {
  this[CONN].close('connection closed by peer');
}
function onClose(this: Served<BaseConnection>): void {
  this[CONN].close('connection closed');
}
function onError(this: Served<BaseConnection>, e: NodeJS.ErrnoException): void {
  this[CONN].close(`socket error: ${socketErrorWords(e, 'client')}`);
}
/** A turn's input ration, next turn (setImmediate's argument: no closure per connection). */
const handleLater = (conn: BaseConnection): void => conn.handleSome();
/** Once logged in, nothing expires: the login deadline's callback (a closure) is let go. */
const NO_EXPIRY = (): void => {};

export abstract class BaseConnection extends Outlet {
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
  /** Whether any bytes have arrived yet. */
  private spoke = false;
  /** Reading is paused until the next turn: this turn's ration is used up (or a turn is scheduled). */
  private rationed = false;
  /** Input waits for the subclass (see waiting()); proceed() goes on. */
  private inputHeld = false;
  /** Units before login that were not a login. */
  private strikes = 0;

  declare protected readonly options: ConnectionOptions;

  constructor(
    stream: Duplex,
    readonly address: string,
    readonly port: number,
    options: ConnectionOptions,
    protected readonly events: ConnectionEvents,
  ) {
    super(stream, options);
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

  protected fault(error: unknown): void {
    this.events.fault(this, error);
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
    this.discard();
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
    // An HTTP request line ("GET /metrics HTTP/1.1"): a browser, or a scraper or probe given the
    // chat's port for the metrics port. Say so, rather than wait out the login deadline for a
    // "header" of 18,245 bytes ("GE") that never comes; no frame or IRC line starts this way.
    if (!this.spoke && HTTP_REQUEST.test(chunk.subarray(0, 4096).toString('latin1'))) {
      this.destroy('HTTP request on the chat port (the metrics and health checks are on --metrics-port)');
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
