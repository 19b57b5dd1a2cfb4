/**
 * Heartbeats for every logged-in client of a load-generator worker, as the real client sends
 * them: one authenticated datagram per interval to the UDP port named in login_ok.
 *
 * They are sent from a thread of their own (heartbeat-thread.ts). A worker receiving a fan-out
 * flood can go seconds between timer runs, and heartbeats sent from its event loop would then
 * come late and in bursts, get users marked offline, and measure the load generator instead of
 * the server. Real users' machines are not saturated by their own chat.
 */
import { Worker } from 'node:worker_threads';
import type { BenchClient } from './client.js';

/** What the thread needs to beat for one client. */
export interface Beat {
  session: string;
  /** In base64, as login_ok carried it. A decoded Buffer would be a view of Node's 8 KB pool,
   * and posting a view copies its whole ArrayBuffer: 8 KB a login (0.1 ms of the worker's CPU). */
  secret: string;
  udpPort: number;
}

/** Counters the thread writes and the worker reads: [sent, worst lateness in ms]. */
export const SENT = 0;
export const LATE_MAX_MS = 1;

/**
 * New clients are handed to the thread in batches, at most this long after their login: one
 * message per login cost the worker 0.1 ms of CPU a login (16% of its busy time in the connect
 * scenario, profiled: the structured clone and the thread's wake-up), CPU the load generator then
 * takes from the server on a two-core machine. Heartbeats start at a random point of their
 * interval anyway, so 50 ms later changes nothing the server sees.
 */
const HAND_OVER_MS = 50;

export class HeartbeatPump {
  private pending: Beat[] = [];
  private handOver: NodeJS.Timeout | null = null;
  private readonly shared = new Float64Array(new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT));
  private readonly thread: Worker | null;

  constructor(host: string, intervalMs: number) {
    this.thread =
      intervalMs > 0 ? new Worker(new URL('./heartbeat-thread.js', import.meta.url), { workerData: { host, intervalMs, shared: this.shared } }) : null;
    this.thread?.unref();
  }

  get sent(): number {
    return this.shared[SENT]!;
  }

  /** Worst delay of a heartbeat past its due time, in ms. */
  get lateMaxMs(): number {
    return this.shared[LATE_MAX_MS]!;
  }

  /** Starts beating for a client that has just logged in (if the server asked for heartbeats). */
  add(client: BenchClient): void {
    const me = client.me;
    if (!this.thread || me?.udpPort === undefined || me.session === undefined || me.secret === undefined) return;
    this.pending.push({ session: me.session, secret: me.secret, udpPort: me.udpPort });
    this.handOver ??= setTimeout(() => {
      this.handOver = null;
      this.thread?.postMessage(this.pending);
      this.pending = [];
    }, HAND_OVER_MS);
  }

  close(): Promise<number> | undefined {
    if (this.handOver) clearTimeout(this.handOver);
    return this.thread?.terminate();
  }
}
