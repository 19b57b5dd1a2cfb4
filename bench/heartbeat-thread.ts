/**
 * The heartbeat thread of a load-generator worker (see heartbeats.ts). One UDP socket serves all
 * of the worker's clients (the server knows a session by its id, not its source port). Each
 * client's first beat falls at a random point of the interval, as independent users would, and
 * a tick sends at most twice its fair share, so a late tick never turns into a burst that
 * overflows the server's socket buffer.
 *
 * Clients wait in a timing wheel, one slot per tick of the interval, so a tick looks only at the
 * clients due in it: scanning all of them every 50 ms was 2% of a core per worker at 5,000
 * clients, CPU taken from the server it measures.
 */
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeHeartbeat } from '../common/heartbeat.js';
import { LATE_MAX_MS, SENT, type Beat } from './heartbeats.js';

const TICK_MS = 50;

interface Beating {
  session: string;
  udpPort: number;
  key: Buffer;
  seq: bigint;
  due: number;
}

const { host, intervalMs, shared } = workerData as { host: string; intervalMs: number; shared: Float64Array };
const socket = dgram.createSocket('udp4');
socket.on('error', () => {}); // a lost datagram is what UDP does; the server's counters will say

const tickOf = (ms: number): number => Math.floor(ms / TICK_MS);
// A due time is never more than one interval ahead, so one slot more than an interval's ticks
// keeps a slot from holding clients of two different rounds.
const wheel: Beating[][] = Array.from({ length: Math.ceil(intervalMs / TICK_MS) + 1 }, () => []);
const slotOf = (due: number): Beating[] => wheel[tickOf(due) % wheel.length]!;
let clients = 0;
let nextTick = tickOf(performance.now());

parentPort!.on('message', (beats: Beat[]) => {
  for (const beat of beats) {
    const due = performance.now() + Math.random() * intervalMs;
    const c: Beating = { session: beat.session, udpPort: beat.udpPort, key: Buffer.from(beat.secret, 'base64'), seq: 0n, due };
    slotOf(Math.max(due, nextTick * TICK_MS)).push(c);
    clients++;
  }
});

setInterval(() => {
  const now = performance.now();
  let budget = Math.ceil((2 * clients * TICK_MS) / intervalMs) + 1;
  // Slots of ticks already past; one the budget could not finish is taken up at the next tick.
  for (; nextTick <= tickOf(now) && budget > 0; nextTick++) {
    const slot = wheel[nextTick % wheel.length]!;
    const sent = Math.min(slot.length, budget);
    for (const c of slot.splice(0, sent)) {
      shared[LATE_MAX_MS] = Math.max(shared[LATE_MAX_MS]!, now - c.due);
      c.due += intervalMs;
      socket.send(encodeHeartbeat(c.session, ++c.seq, c.key), c.udpPort, host);
      shared[SENT]!++;
      // A client late by a whole interval beats again at the next tick, not a round later.
      slotOf(Math.max(c.due, (nextTick + 1) * TICK_MS)).push(c);
    }
    budget -= sent;
    if (slot.length > 0) break;
  }
}, TICK_MS);
