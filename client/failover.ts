/**
 * Which server the session uses, and when it tries again: the first connection goes to the first
 * server that takes one; after a loss, attempts paced by the backoff take the session back, each
 * failed one going on with the next server (servers.ts). Past the server's timeout the session is
 * gone there (others see the user offline, and are told so once), but the attempts go on: the
 * server that is back logs the user in again with the password the client knows, as after a
 * restart. A server down for longer than the timeout (an upgrade, a reboot) would otherwise log
 * every user out for good. The status row says which server is being tried.
 *
 * It holds nothing of the session's but the attempt count and its own timers: what it needs from
 * the session (session.ts) comes in as FailoverDeps, and the session's state stays the session's.
 */
import { hostPort } from '../common/address.js';
import type { Cancel, Clock } from '../common/clock.js';
import type { ServerMessage } from '../common/protocol.js';
import { backoffDelay } from './backoff.js';
import { ConnectError, type Link } from './connection.js';
import { safeLine, type DisplayLine, type Formatter } from './format.js';
import { LATER } from './login.js';
import type { Server, ServerRing } from './servers.js';

/** The longest a refusal's `retry` holds the next attempt back (seconds). */
const SERVER_WAIT_MAX_S = 60;

/** The session's states while it gets back (session.ts): a new connection, then the resume on it. */
export type Phase = 'reconnecting' | 'resuming';

/** The reply to a login or a resume; null when none came (the connection closed, or no answer in time). */
export type Reply = ServerMessage<'login_ok'> | ServerMessage<'error'> | null;

export interface FailoverDeps {
  clock: Clock;
  random: () => number;
  /** The servers, and which of them is in use (the session reads it too). */
  ring: ServerRing;
  fmt: Formatter;
  show: (lines: readonly DisplayLine[]) => void;
  /** The status row. */
  status: (text: string | null) => void;
  /** A connection to `server`; rejects with a ConnectError saying why not. */
  connect: (server: Server) => Promise<Link>;
  /** Where the session is in getting back; null once it has left that (resumed, logged out, done). */
  phase: () => Phase | null;
  /** Drops the connection, if any, and marks the session `reconnecting`. */
  disconnect: () => void;
  /** Asks to take the session back on `link`, which the session then uses (`resuming`). */
  resume: (link: Link) => Promise<Reply>;
  /** Logs in again with the password we know (the server has forgotten the session). */
  logInAgain: () => Promise<Reply>;
  /** Why the last login or resume got no reply: no answer in time, or why its connection closed. */
  noReply: () => string;
  /** Ends the session with this exit code. */
  finish: (code: number) => void;
}

export class Failover {
  private attempt = 0;
  /** The next attempt, and the server's timeout: one of each at most, however long the attempts go on. */
  private nextAttempt: Cancel | null = null;
  private deadline: Cancel | null = null;

  constructor(private readonly d: FailoverDeps) {}

  /**
   * A connection to the first server that takes one, from the one in use on, each tried once (at
   * start, and for a login typed slowly). Rejects with a ConnectError: the one server's reason,
   * or every server's in one line.
   */
  async reach(): Promise<Link> {
    const { ring } = this.d;
    const why: string[] = [];
    for (let tried = 0; ; ) {
      try {
        return await this.d.connect(ring.current);
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        why.push(e.message);
        if (++tried === ring.servers.length) throw new ConnectError(why.join('; '));
        ring.next();
      }
    }
  }

  /** The connection was lost: try to get the session back, until it is back or the user leaves; `timeoutS`: the server's. */
  lost(timeoutS: number): void {
    const limit = timeoutS * 1000;
    this.deadline?.();
    this.deadline = this.d.clock.after(limit, () => this.pastTimeout(limit));
    this.attempt = 0;
    // The server in use first: most losses are a blip, or a restart it comes back from.
    this.status(`Connection to ${this.d.ring.label()} lost; trying it again first`);
    this.retryLater();
  }

  /** Logged in or resumed, or the end: no more attempts, and no status row. Safe to call twice. */
  stop(): void {
    this.status(null);
    this.nextAttempt?.();
    this.deadline?.();
    this.nextAttempt = this.deadline = null;
  }

  /** The status row, while reconnecting among several servers (one server: the lines say it all, as they always did). */
  private status(text: string | null): void {
    if (this.d.ring.several) this.d.status(text);
  }

  /**
   * The next attempt, after the backoff. `failed`: why the last one did not get the session back,
   * so this one goes to the next server (the same one when there is only one). `waitS`: the
   * server asked for at least that long (its `retry`).
   */
  private retryLater(failed?: string, waitS = 0): void {
    this.d.disconnect();
    if (failed !== undefined) {
      this.d.ring.next();
      this.status(`Next: ${this.d.ring.label()}; ${failed}`);
    }
    this.nextAttempt?.();
    // The server's wait, but not past a minute: a server that names hours is tried again anyway.
    const delay = Math.max(backoffDelay(this.attempt++, this.d.random), Math.min(waitS, SERVER_WAIT_MAX_S) * 1000);
    this.nextAttempt = this.d.clock.after(delay, () => void this.retry());
  }

  private async retry(): Promise<void> {
    const server = this.d.ring.current;
    this.status(`Reconnecting to ${this.d.ring.label()}…`);
    let why = '';
    const link = await this.d.connect(server).catch((e: Error) => {
      why = e.message;
      return null;
    });
    if (this.d.phase() !== 'reconnecting') return link?.destroy();
    if (!link) return this.retryLater(why);
    const reply = await this.d.resume(link);
    if (this.d.phase() !== 'resuming') return; // resumed (ready), or given up meanwhile
    if (reply?.type === 'error' && reply.code === 'RESUME_FAILED') return this.logInAgain();
    if (reply) this.d.show(this.d.fmt.message(reply));
    this.retryLater(this.refused(server, reply));
  }

  /** Why an attempt on `server` did not get the session back, for the status row. */
  private refused(server: Server, reply: Reply): string {
    const why = reply?.type === 'error' ? safeLine(reply.message) : this.d.noReply();
    return `${hostPort(server.host, server.port)}: ${why}`;
  }

  /** The server no longer knows our session: log in again with the password we know. */
  private async logInAgain(): Promise<void> {
    const reply = await this.d.logInAgain();
    if (this.d.phase() !== 'resuming') return;
    if (!reply) return this.retryLater(this.refused(this.d.ring.current, reply));
    this.d.show(this.d.fmt.message(reply));
    // Busy, or throttled (every client of a restarted server logging in at once): later, the
    // same login may pass. Any other refusal (the password changed meanwhile) would only be again.
    if (reply.type === 'error' && LATER.has(reply.code)) return this.retryLater(this.refused(this.d.ring.current, reply), reply.retry);
    this.d.finish(1);
  }

  /** Unreachable for the server's timeout: the session is gone there; said once, and the attempts go on. */
  private pastTimeout(limitMs: number): void {
    if (this.d.phase() === null) return;
    const s = limitMs / 1000;
    this.d.show([this.d.fmt.info(`No connection for ${s} s: others now see you offline. Still trying (every few seconds); you will be logged in again when the server is back (Ctrl-C leaves).`)]);
  }
}
