/**
 * The presence socket: parses a datagram, checks its MAC with the session's secret, and hands
 * the session id and sequence number to presence. Everything that is not a valid, fresh heartbeat
 * is dropped and counted by reason, never answered (no reflection or amplification), and logged at
 * most once a minute per source address, so a flood cannot flood the log either.
 */
import dgram from 'node:dgram';
import type { Clock } from '../../common/clock.js';
import { macValid, parseHeartbeat } from '../../common/heartbeat.js';
import type { Counters, DropReason } from '../counters.js';
import type { Logger } from '../logger.js';
import { LogThrottle } from './log-throttle.js';

/** What the socket needs of presence (the room is one). */
export interface HeartbeatTarget {
  /** The MAC key of a live session. */
  secretOf(sessionId: string): Buffer | undefined;
  /** A heartbeat with a valid MAC: 'accepted', or why it was not. */
  beat(sessionId: string, seq: bigint): 'accepted' | DropReason;
}

/**
 * UDP source addresses are easy to spoof, so "one line per address a minute" alone would still
 * let a flood from random addresses write without bound: past this many addresses in a minute,
 * drops are only counted (one line says so).
 */
const LOGGED_ADDRESSES_MAX = 100;

export class HeartbeatListener {
  private socket: dgram.Socket | null = null;
  private readonly drops: LogThrottle;

  constructor(
    private readonly target: HeartbeatTarget,
    private readonly counters: Counters,
    clock: Clock,
    private readonly log: Logger,
  ) {
    this.drops = new LogThrottle(clock, log, {
      periodMs: 60_000,
      maxKeys: LOGGED_ADDRESSES_MAX,
      tooMany: `Dropping heartbeats from over ${LOGGED_ADDRESSES_MAX} addresses: counting them, not logging them`,
    });
  }

  /** Binds the socket; resolves with the bound port (useful when `port` is 0). */
  bind(host: string, port: number): Promise<number> {
    // A large receive buffer: while the event loop is busy (a login storm), heartbeats queue in
    // the kernel instead of being dropped there, which would mark live users offline. Linux caps
    // it at net.core.rmem_max.
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
    this.socket = socket;
    socket.on('message', (data, rinfo) => this.receive(data, rinfo.address));
    return new Promise((resolve, reject) => {
      // A failed bind is the caller's to report (once); errors after that are only logged.
      const failed = (e: Error) => {
        this.close();
        reject(e);
      };
      socket.once('error', failed);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', failed);
        socket.on('error', (e) => this.log.error(`UDP socket error: ${e.message}`));
        resolve(socket.address().port);
      });
    });
  }

  /** Checks one datagram; its only effects are on presence, the counters and (throttled) the log. */
  receive(data: Buffer, from: string): void {
    const parsed = parseHeartbeat(data);
    if ('problem' in parsed) return this.drop(parsed.problem, from);
    const secret = this.target.secretOf(parsed.session);
    if (!secret) return this.drop('unknown-session', from);
    if (!macValid(parsed.signed, parsed.mac, secret)) return this.drop('forged', from);
    const result = this.target.beat(parsed.session, parsed.seq);
    if (result !== 'accepted') return this.drop(result, from);
    this.counters.datagramsAccepted++;
    if (this.log.debugging) this.log.debug(`Heartbeat ${parsed.seq} accepted from ${from}`);
  }

  private drop(reason: DropReason, from: string): void {
    const dropped = this.counters.datagramsDropped;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    this.drops.hit(from, () => `Dropped heartbeat from ${from}: ${reason} (further drops from it are counted, not logged, for a minute)`);
  }

  /** Forgets log-throttle entries older than a minute, so the map stays small. */
  sweep(): void {
    this.drops.sweep();
  }

  /** Closes the socket; safe to call twice. */
  close(): void {
    this.socket?.close();
    this.socket = null;
  }
}
