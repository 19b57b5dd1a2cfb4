/**
 * Turning what the workers counted into the report's figures. Pure: literal inputs in, figures
 * out, so the arithmetic (lost, rate, percentiles) is tested without running anything.
 */
import type { LoginResult, WorkerStats } from './ipc.js';
import type { ChatFigures, LoginFigures } from './report.js';
import { Histogram, percentile } from './stats.js';

/** All workers' stats as one: sums, extremes, merged latency histogram and tables. */
type Merged = Omit<WorkerStats, 'latencyUs'> & { latency: Histogram };

export function mergeStats(all: WorkerStats[]): Merged {
  const latency = new Histogram();
  const m: Merged = {
    ...{ received: 0, outOfOrder: 0, latency, firstSendNs: 0, lastRecvNs: 0, sendLagMaxMs: 0, heartbeats: 0, heartbeatLateMaxMs: 0 },
    ...{ loopDelayP99Ms: 0, loopDelayMaxMs: 0, closed: {}, errors: {}, notices: {}, bytesIn: 0, reads: 0 },
  };
  for (const s of all) {
    m.received += s.received;
    m.outOfOrder += s.outOfOrder;
    latency.merge(s.latencyUs);
    if (s.firstSendNs > 0) m.firstSendNs = m.firstSendNs === 0 ? s.firstSendNs : Math.min(m.firstSendNs, s.firstSendNs);
    m.lastRecvNs = Math.max(m.lastRecvNs, s.lastRecvNs);
    m.sendLagMaxMs = Math.max(m.sendLagMaxMs, s.sendLagMaxMs);
    m.heartbeats += s.heartbeats;
    m.heartbeatLateMaxMs = Math.max(m.heartbeatLateMaxMs, s.heartbeatLateMaxMs);
    // The worst worker's loop delay: one saturated worker is enough to distort the figures.
    m.loopDelayP99Ms = Math.max(m.loopDelayP99Ms, s.loopDelayP99Ms);
    m.loopDelayMaxMs = Math.max(m.loopDelayMaxMs, s.loopDelayMaxMs);
    m.bytesIn += s.bytesIn;
    m.reads += s.reads;
    addInto(m.closed, s.closed);
    addInto(m.errors, s.errors);
    addInto(m.notices, s.notices);
  }
  return m;
}

/**
 * The chat figures: `sent` lines should have made `expected` deliveries (as the workers count
 * them from their clients); what is missing is lost. The rate is deliveries over the time from
 * the first send anywhere to the last receipt anywhere.
 */
export function chatFigures(s: Merged, sent: number, expected: number, paced: boolean): ChatFigures {
  const seconds = s.lastRecvNs > s.firstSendNs ? (s.lastRecvNs - s.firstSendNs) / 1e9 : NaN;
  const ms = (us: number) => us / 1000;
  return {
    sent,
    expected,
    deliveries: s.received,
    lost: Math.max(0, expected - s.received),
    outOfOrder: s.outOfOrder,
    seconds,
    deliveriesPerS: s.received / seconds,
    p50Ms: ms(s.latency.percentile(50)),
    p99Ms: ms(s.latency.percentile(99)),
    maxMs: ms(s.latency.max),
    meanMs: ms(s.latency.mean),
    sendLagMaxMs: paced ? s.sendLagMaxMs : NaN,
  };
}

/** Login figures over all workers; the phase's wall time is filled in by the caller. */
export function loginFigures(results: LoginResult[], clients: number): LoginFigures {
  const times = results.flatMap((r) => r.times);
  const failures: Record<string, number> = {};
  for (const r of results) addInto(failures, r.failures);
  const maxMs = times.length ? Math.max(...times) : NaN;
  return { clients, ok: times.length, failures, totalS: NaN, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), maxMs };
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}
