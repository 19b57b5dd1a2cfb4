/**
 * The heartbeat thread of a load-generator worker (see heartbeats.ts). One UDP socket serves all
 * of the worker's clients (the server knows a session by its id, not its source port). Each
 * client's first beat falls at a random point of the interval, as independent users would, and
 * a tick sends at most twice its fair share, so a late tick never turns into a burst that
 * overflows the server's socket buffer.
 */
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeHeartbeat } from '../common/heartbeat.js';
import { LATE_MAX_MS, SENT, type Beat } from './heartbeats.js';

const TICK_MS = 50;

interface Beating extends Beat {
  seq: bigint;
  due: number;
  key: Buffer;
}

const { host, intervalMs, shared } = workerData as { host: string; intervalMs: number; shared: Float64Array };
const socket = dgram.createSocket('udp4');
socket.on('error', () => {}); // a lost datagram is what UDP does; the server's counters will say
const clients: Beating[] = [];

parentPort!.on('message', (beat: Beat) => {
  clients.push({ ...beat, seq: 0n, due: performance.now() + Math.random() * intervalMs, key: Buffer.from(beat.secret) });
});

setInterval(() => {
  const now = performance.now();
  let budget = Math.ceil((2 * clients.length * TICK_MS) / intervalMs) + 1;
  for (const c of clients) {
    if (c.due > now) continue;
    if (budget-- <= 0) break;
    shared[LATE_MAX_MS] = Math.max(shared[LATE_MAX_MS]!, now - c.due);
    c.due += intervalMs;
    socket.send(encodeHeartbeat(c.session, ++c.seq, c.key), c.udpPort, host);
    shared[SENT]!++;
  }
}, TICK_MS);
