/**
 * Test helpers for the UDP presence protocol: a heartbeat sender speaking real datagrams to the
 * server, and a way to wait until the server has processed them (an I/O wait, not a timer).
 */
import dgram from 'node:dgram';
import { encodeHeartbeat } from '../../common/heartbeat.js';
import type { ServerMessage } from '../../common/protocol.js';
import type { Counters } from '../../server/counters.js';
import type { FakeClock } from './fake-clock.js';
import { waitUntil } from './wait.js';

/** Advances `clock` by `ms` in `stepMs` steps; each of `alive` sends a heartbeat after every step. */
export async function pass(clock: FakeClock, ms: number, alive: { beat(): Promise<void> }[], stepMs = 5000): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    for (const b of alive) await b.beat();
  }
}

/** Datagrams the server has accepted or dropped so far. */
export function datagramsSeen(counters: Counters): number {
  return counters.datagramsAccepted + Object.values(counters.datagramsDropped).reduce((a, b) => a + b, 0);
}

/**
 * A UDP socket on 127.0.0.1 that sends heartbeats for one login (or any bytes) to the server,
 * and records every datagram it receives (the server must never answer).
 */
export class Beater {
  readonly received: Buffer[] = [];
  seq = 0n;
  private markers = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly port: number,
    private readonly counters: Counters,
    readonly session: string,
    readonly secret: Buffer,
  ) {
    socket.on('message', (m) => this.received.push(m));
  }

  /** A sender for the heartbeat credentials in `me` (a login_ok), aimed at `udpPort`. */
  static async open(counters: Counters, udpPort: number, me?: ServerMessage<'login_ok'>): Promise<Beater> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    return new Beater(socket, udpPort, counters, me?.session ?? 'none', Buffer.from(me?.secret ?? '', 'base64'));
  }

  /** Sends the next heartbeat and waits until the server has taken it in. */
  beat(): Promise<void> {
    this.seq++;
    return this.send(encodeHeartbeat(this.session, this.seq, this.secret));
  }

  /** Sends bytes and waits until the server has counted them (accepted or dropped). */
  async send(bytes: Buffer): Promise<void> {
    const before = datagramsSeen(this.counters);
    await new Promise<void>((resolve, reject) => this.socket.send(bytes, this.port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    await waitUntil(() => datagramsSeen(this.counters) > before, 'the server counted the datagram');
  }

  /**
   * What the server sent this socket so far (it must be nothing). A marker datagram sent to
   * ourselves goes through the same loopback queue after any reply to what the server has already
   * counted, so once the marker is back, such a reply would be here too: an I/O sync, not a sleep.
   */
  async inbox(): Promise<Buffer[]> {
    const marker = Buffer.from(`marker-${this.markers++}`);
    const { port } = this.socket.address();
    this.socket.send(marker, port, '127.0.0.1');
    await waitUntil(() => this.received.some((m) => m.equals(marker)), 'the marker came back');
    return this.received.filter((m) => !m.toString().startsWith('marker-'));
  }

  close(): void {
    this.socket.close();
  }
}
