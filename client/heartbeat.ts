/**
 * The presence sender: one authenticated UDP datagram (common/heartbeat.ts) every interval while
 * logged in, so the server knows we are still here even while our TCP connection is down.
 *
 * The sequence number lives in this object for the whole process and only goes up, also across
 * reconnects and new sessions: the server refuses any sequence it has already seen for a session,
 * and counting on from where we were is the simplest way never to repeat one.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { encodeHeartbeat } from '../common/heartbeat.js';
import type { Cancel, Clock } from '../common/clock.js';

/** Where heartbeats go and what signs them (from login_ok; the port may be overridden). */
export interface HeartbeatTarget {
  /** An IP address (a host name would be looked up again on every send). */
  host: string;
  port: number;
  session: string;
  /** The session secret, raw bytes (login_ok carries it in base64). */
  secret: Buffer;
}

/** The one thing the sender needs from a UDP socket; tests pass a recorder. */
export interface DatagramOut {
  send(data: Buffer, port: number, host: string): void;
  close(): void;
}

export type Family = 'udp4' | 'udp6';

/** The socket type that can reach `address` (an IP address: the TCP connection's peer). */
export function familyOf(address: string): Family {
  return net.isIPv6(address) ? 'udp6' : 'udp4';
}

/** A real UDP socket that never keeps the process alive and ignores send errors (UDP is best effort). */
export function udpOut(family: Family): DatagramOut {
  const socket = dgram.createSocket(family);
  socket.unref();
  socket.on('error', () => {});
  return {
    send: (data, port, to) => socket.send(data, port, to, () => {}),
    close: () => socket.close(),
  };
}

/**
 * How often to beat, in seconds, for a server that marks a user offline after `timeoutS` seconds
 * without a heartbeat (login_ok says; undefined from a server that does not). The interval asked
 * for while it leaves room for two beats in each timeout, so one datagram lost on the way does
 * not mark the user offline; past that (`tooSlow`) a quarter of the timeout, the share the
 * defaults give (5 s of 20 s).
 */
export function heartbeatPace(askedS: number, timeoutS: number | undefined): { seconds: number; tooSlow: boolean } {
  if (timeoutS === undefined || askedS * 2 <= timeoutS) return { seconds: askedS, tooSlow: false };
  return { seconds: timeoutS / 4, tooSlow: true };
}

export class HeartbeatSender {
  private seq = 0n;
  private target: HeartbeatTarget | null = null;
  private out: DatagramOut | null = null;
  /** The family of `out`; null exactly when `out` is. */
  private family: Family | null = null;
  private stopTimer: Cancel | null = null;
  /** The interval the running timer beats at. */
  private every = 0;
  /** When the last beat went out (clock ms); null before the first of a start. */
  private lastBeatAt: number | null = null;
  /** The last time two beats of the timer were far more than an interval apart: how far, and when it ended. */
  private pause = { ms: 0, endedAt: -Infinity };

  constructor(
    private readonly clock: Clock,
    private readonly open: (family: Family) => DatagramOut = udpOut,
  ) {}

  get running(): boolean {
    return this.stopTimer !== null;
  }

  /**
   * Starts beating for `target`, or switches to it (a new session after logging in again) without
   * restarting the sequence. One beat goes out at once, so the server hears from us immediately.
   * `intervalMs`: this server's pace (see heartbeatPace), which each login decides afresh.
   */
  start(target: HeartbeatTarget, intervalMs: number): void {
    this.target = target;
    // A reconnect may reach the server over the other IP version: the socket must match.
    const family = familyOf(target.host);
    if (this.family !== family) {
      this.out?.close();
      this.out = this.open(family);
      this.family = family;
    }
    if (this.every !== intervalMs) {
      // Logged in again, maybe on another server of a cluster: its timeout sets the pace now.
      this.stopTimer?.();
      this.stopTimer = null;
      this.every = intervalMs;
    }
    this.stopTimer ??= this.clock.every(intervalMs, () => this.beat());
    this.lastBeatAt = null;
    this.beat();
  }

  /**
   * Whether this process itself sent no heartbeat for `ms` or longer, lately (it has not beaten
   * since, or the pause ended within the last `ms`): it was stopped (Ctrl-Z) or the computer
   * slept, and its timer did not run. A server that heard nothing for its timeout then heard
   * our silence, not a network that drops UDP.
   */
  stalled(ms: number): boolean {
    // Never less than half as much again as the interval: a beat merely due (an interval of half
    // the timeout is allowed, see heartbeatPace) is no pause.
    const atLeast = Math.max(ms, 1.5 * this.every);
    const now = this.clock.now();
    if (this.lastBeatAt !== null && now - this.lastBeatAt >= atLeast) return true;
    return this.pause.ms >= atLeast && now - this.pause.endedAt <= atLeast;
  }

  /** Stops for good (logout, exit). Safe to call twice. */
  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
    this.out?.close();
    this.out = null;
    this.family = null;
    this.target = null;
  }

  private beat(): void {
    const { target, out } = this;
    if (!target || !out) return;
    const now = this.clock.now();
    // A timer runs late only when the process did not run (or was busy for that long).
    if (this.lastBeatAt !== null && now - this.lastBeatAt > 2 * this.every) this.pause = { ms: now - this.lastBeatAt, endedAt: now };
    this.lastBeatAt = now;
    this.seq += 1n;
    out.send(encodeHeartbeat(target.session, this.seq, target.secret), target.port, target.host);
  }
}
