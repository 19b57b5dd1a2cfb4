/**
 * Heartbeats for every logged-in client of a worker, as the real client sends them: one
 * authenticated datagram per interval to the UDP port named in login_ok. One UDP socket serves
 * the whole worker (the server knows a session by its id, not by the source port), and the first
 * beat of each client is spread over the interval so ten thousand clients do not beat in step.
 */
import dgram from 'node:dgram';
import { encodeHeartbeat } from '../common/heartbeat.js';
import type { BenchClient } from './client.js';

const TICK_MS = 100;

export class HeartbeatPump {
  sent = 0;
  private readonly clients: BenchClient[] = [];
  private readonly socket = dgram.createSocket('udp4');
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly host: string,
    private readonly intervalMs: number,
  ) {
    this.socket.on('error', () => {}); // a lost datagram is what UDP does; the server will say
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Starts beating for a client that has just logged in (if the server asked for heartbeats). */
  add(client: BenchClient): void {
    if (this.intervalMs <= 0 || client.me?.udpPort === undefined || client.secret === null) return;
    client.nextHeartbeatMs = performance.now() + Math.random() * this.intervalMs;
    this.clients.push(client);
  }

  private tick(): void {
    const now = performance.now();
    for (const c of this.clients) {
      if (c.nextHeartbeatMs > now || !c.open) continue;
      c.nextHeartbeatMs += this.intervalMs;
      const { session, udpPort } = c.me!;
      const datagram = encodeHeartbeat(session!, ++c.heartbeatSeq, c.secret!);
      this.socket.send(datagram, udpPort!, this.host);
      this.sent++;
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }
}
