/**
 * One IRC client: the IRC transport over BaseConnection, which gives it the same states, login
 * deadline, output cap, per-turn ration and strikes as a native connection. Bytes become lines
 * (lines.ts), lines become messages (parse.ts), messages become effects (translate.ts), and the
 * effects are carried out here: a ClientMessage to the dispatcher, an IRC reply, a strike.
 *
 * What IRC adds to a connection:
 * - Lines wait while a login is being checked, so a client may send NICK, USER and its first
 *   commands in one go (IRC clients do) and have them handled after the login, in order.
 * - A quiet message (a NOTICE, a receipt's PONG), whose refusal goes unanswered, is handled
 *   alone: after the lines before it are done (a refusal can come later, after a look-up) and
 *   before the next, so no other line's refusal is dropped with its own.
 * - A login made during capability negotiation (SASL) is answered at once (900, 903) but the
 *   welcome and everything after it wait for CAP END, as IRC clients expect.
 * - Presence: once logged in, the server sends PING every heartbeat-timeout/2; each PONG counts as
 *   a heartbeat (`alive`). A client that stops answering is marked offline like a native one.
 */
import type { Duplex } from 'node:stream';
import type { Cancel } from '../../../common/clock.js';
import { ChatError } from '../../../common/errors.js';
import type { ClientMessage } from '../../../common/protocol.js';
import { BaseConnection, type ConnectionEvents, type ConnectionOptions } from '../connection.js';
import type { Effect, IrcContext } from './effects.js';
import { LineSplitter } from './lines.js';
import { ircLine, parseLine } from './parse.js';
import { IrcPeer, type Ask } from './peer.js';
import { refused } from './registration.js';
import { SERVER, numeric } from './render.js';
import { translate } from './translate.js';
import { bytes, type IrcWire } from './wire.js';

/** The server's PING, the same bytes for every connection: made once. */
const PING = bytes([ircLine(null, 'PING', SERVER)]);

export interface IrcOptions {
  /** The room's channel (--irc-channel). */
  channel: string;
  /** Milliseconds between the server's PINGs to a logged-in client (heartbeat timeout / 2). */
  pingMs: number;
  /** `user` answered PING: like a heartbeat, it keeps them online. */
  alive(user: string): void;
}

/** How log lines name an IRC connection. */
export function ircLabel(address: string, port: number): string {
  return `IRC ${address}:${port}`;
}

export class IrcConnection extends BaseConnection {
  readonly peer = new IrcPeer();
  private readonly lines = new LineSplitter();
  private readonly ctx: IrcContext;
  private stopPing: Cancel | null = null;
  /** Output held until registration ends (CAP END), after a login during negotiation; null: none held. */
  private held: Buffer[] | null = null;
  private heldBytes = 0;
  /** Bulk replies waiting for the held output to go out (see whenDrained). */
  private heldWaiters: ((open: boolean) => void)[] = [];
  /** Messages handed to the dispatcher and not yet handled. */
  private handling = 0;
  /** What is left of a line's effects, from a quiet message waiting for `handling` to be 0. */
  private deferred: Effect[] | null = null;

  constructor(
    stream: Duplex,
    address: string,
    port: number,
    options: ConnectionOptions,
    events: ConnectionEvents,
    readonly wire: IrcWire,
    private readonly irc: IrcOptions,
  ) {
    super(stream, address, port, options, events);
    this.ctx = { channel: irc.channel, maxBody: options.maxBody };
  }

  override get label(): string {
    return ircLabel(this.address, this.port);
  }

  protected take(chunk: Buffer): void {
    this.lines.feed(chunk);
  }

  protected handleNext(): boolean {
    const next = this.lines.next();
    if (next === null) return false;
    const msg = next.error ?? parseLine(next.line);
    if (msg instanceof ChatError) {
      this.events.invalid(this, msg);
      this.strike();
      return true;
    }
    this.run(translate(this.peer, msg, this.ctx));
    return true;
  }

  /** A line after a login waits until the login is decided; one after a quiet message, until it is handled. */
  protected override waiting(): boolean {
    return this.state === 'authenticating' || this.peer.quiet || this.deferred !== null;
  }

  /** Output goes out, or waits for CAP END (see class comment). */
  override write(out: Buffer): void {
    if (this.held === null || out.length === 0) return super.write(out);
    this.held.push(out);
    this.heldBytes += out.length;
    if (this.heldBytes > this.options.maxOutput) this.destroy(`over ${this.options.maxOutput} bytes held waiting for CAP END`);
  }

  override loggedIn(): void {
    super.loggedIn();
    if (this.closed) return;
    const { peer } = this;
    peer.loggedIn = true;
    if (peer.via === 'sasl') {
      // Said before the welcome, which the client waits for until it has sent CAP END.
      super.write(bytes([
        numeric(peer, '900', peer.mask, peer.account, `You are now logged in as ${peer.nick}`),
        numeric(peer, '903', 'SASL authentication successful'),
      ]));
    }
    peer.via = null;
    if (peer.negotiating) this.held = [];
    this.stopPing ??= this.options.clock.every(this.irc.pingMs, () => this.write(PING));
    if (peer.namesWanted) {
      peer.namesWanted = false;
      // After the welcome, which is written once this returns.
      queueMicrotask(() => this.run([{ do: 'send', msg: { type: 'who' }, ask: { kind: 'names' } }]));
    }
    this.proceed();
  }

  override endLogin(): void {
    const refusedNow = this.state === 'authenticating';
    super.endLogin();
    if (!refusedNow || this.closed) return;
    this.run(refused(this.peer));
    this.proceed();
  }

  override close(reason: string): void {
    if (this.held !== null && !this.closed) this.release();
    super.close(reason);
  }

  protected override ended(): void {
    this.stopPing?.();
    this.stopPing = null;
    for (const then of this.heldWaiters.splice(0)) then(false);
  }

  /** A bulk reply's next batch waits for CAP END too, or it would only grow what is held. */
  override whenDrained(then: (open: boolean) => void): void {
    if (this.held === null || this.closed) return super.whenDrained(then);
    this.heldWaiters.push(then);
  }

  /** Carries out what the translator decided, in order; stops if the connection closes. */
  private run(effects: Effect[]): void {
    for (const [i, e] of effects.entries()) {
      if (this.closed) return;
      switch (e.do) {
        case 'reply':
          // IRC's own answers (CAP, AUTHENTICATE, PONG...) are never held: registration needs them.
          super.write(bytes(e.lines));
          break;
        case 'send':
          if (e.quiet && this.handling > 0) {
            this.deferred = effects.slice(i);
            return;
          }
          this.dispatch(e.msg, e.ask, e.quiet === true);
          break;
        case 'login':
          this.peer.via = e.via;
          this.peer.lastError = null;
          void this.events.message(this, e.msg);
          break;
        case 'refuse':
          this.events.invalid(this, e.error);
          break;
        case 'strike':
          this.strike();
          break;
        case 'alive':
          if (this.user !== null) this.irc.alive(this.user);
          break;
        case 'release':
          this.release();
          break;
        case 'close':
          this.close(e.reason);
          break;
      }
    }
  }

  /**
   * To the dispatcher. A `who` notes what its reply answers. A quiet message's errors go
   * unanswered (a reply to a NOTICE could make two bots talk forever; a client can do nothing
   * with one about its PONG): it is handed over only once nothing else is being handled (see
   * run), and the next line waits until it has been (see waiting()).
   *
   * The wait has no timer of its own. A refusal does not say which line it answers (peer.quiet is
   * the connection's), so going on early would answer a NOTICE or silence another line's error.
   * What a handler waits for ends by itself (a durable write; a cluster change applied, or refused
   * CLUSTER_DOWN); should one not, the lines held include the client's PONGs, so a wait longer
   * than the heartbeat timeout takes the user offline and closes the connection. Meanwhile nothing
   * more is read (TCP pushes back): nothing grows.
   */
  private dispatch(msg: ClientMessage, ask: Ask | undefined, quiet: boolean): void {
    const { peer } = this;
    if (ask) peer.asked.push(ask);
    if (quiet) peer.quiet = true;
    this.handling++;
    const done = () => {
      this.handling--;
      if (quiet) peer.quiet = false;
      if (this.handling > 0) return;
      const deferred = this.deferred;
      this.deferred = null;
      if (deferred) this.run(deferred);
      if (!peer.quiet && this.deferred === null) this.proceed();
    };
    Promise.resolve(this.events.message(this, msg)).then(done, done);
  }

  /** Registration is over: what waited for it goes out, in order. */
  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    this.heldBytes = 0;
    for (const out of held) super.write(out);
    for (const then of this.heldWaiters.splice(0)) super.whenDrained(then);
  }
}
