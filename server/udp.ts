/**
 * The presence socket: verifies heartbeats and refreshes the sender's presence. Everything that
 * is not a valid, fresh heartbeat is dropped and counted by reason, never answered, and logged at
 * most once a minute per source address (so a flood cannot flood the log either).
 */
import dgram from 'node:dgram';
import { macValid, parseHeartbeat } from '../common/heartbeat.js';
import type { Hub } from './hub.js';

export type DropReason = 'oversize' | 'malformed' | 'unknown-session' | 'bad-mac' | 'replayed';

const LOG_EVERY_MS = 60_000;

export class HeartbeatListener {
  private socket: dgram.Socket | null = null;
  /** Source address → time of the last log line about it. */
  private readonly loggedAt = new Map<string, number>();

  constructor(private readonly hub: Hub) {}

  bind(host: string, port: number): Promise<number> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (data, rinfo) => this.receive(data, rinfo.address));
    socket.on('error', (e) => this.hub.log.error(`UDP socket error: ${e.message}`));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve(socket.address().port);
      });
    });
  }

  /** Checks one datagram; exported behaviour is only its effect on presence and the counters. */
  receive(data: Buffer, from: string): void {
    const parsed = parseHeartbeat(data);
    if ('problem' in parsed) return this.drop(parsed.problem, from);
    const session = this.hub.bySessionId(parsed.session);
    if (!session) return this.drop('unknown-session', from);
    if (!macValid(parsed.signed, parsed.mac, session.secret)) return this.drop('bad-mac', from);
    if (parsed.seq <= session.lastSeq) return this.drop('replayed', from);
    session.lastSeq = parsed.seq;
    this.hub.stats.datagramsAccepted++;
    this.hub.presence.touch(session, this.hub.clock.now());
  }

  private drop(reason: DropReason, from: string): void {
    const dropped = this.hub.stats.datagramsDropped;
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    const now = this.hub.clock.now();
    const last = this.loggedAt.get(from);
    if (last !== undefined && now - last < LOG_EVERY_MS) return;
    this.loggedAt.set(from, now);
    this.hub.log.warn(`Dropped heartbeat from ${from}: ${reason} (further drops from it are counted, not logged, for a minute)`);
  }

  /** Forgets log-throttle entries older than a minute, so the map stays small. */
  sweep(): void {
    const now = this.hub.clock.now();
    for (const [addr, at] of this.loggedAt) if (now - at >= LOG_EVERY_MS) this.loggedAt.delete(addr);
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }
}
