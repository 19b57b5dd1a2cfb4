import { expect } from 'chai';
import { chatFigures, loginFigures, mergeStats } from '../../bench/figures.js';
import type { WorkerStats } from '../../bench/ipc.js';
import { Histogram } from '../../bench/stats.js';

function worker(over: Partial<WorkerStats> & { latencies?: number[] }): WorkerStats {
  const h = new Histogram();
  for (const us of over.latencies ?? []) h.record(us);
  return {
    received: 0,
    outOfOrder: 0,
    latencyUs: h.toData(),
    firstSendNs: 0,
    lastRecvNs: 0,
    sendLagMaxMs: 0,
    heartbeats: 0,
    heartbeatLateMaxMs: 0,
    loopDelayP99Ms: 0,
    loopDelayMaxMs: 0,
    closed: {},
    errors: {},
    notices: {},
    bytesIn: 0,
    reads: 0,
    ...over,
  };
}

describe('bench figures', () => {
  it('counts what is missing as lost, and rates deliveries from the first send to the last receipt', () => {
    const stats = mergeStats([
      worker({ received: 600, firstSendNs: 2e9, lastRecvNs: 3e9, latencies: [1000, 2000], reads: 100 }),
      worker({ received: 390, firstSendNs: 1e9, lastRecvNs: 2.5e9, outOfOrder: 1, latencies: [3000], reads: 30 }),
      worker({}), // a worker with no senders and no clients counts for nothing
    ]);
    expect(stats.reads).to.equal(130);
    const chat = chatFigures(stats, 100, 1000, false);
    expect(chat).to.include({ expected: 1000, deliveries: 990, lost: 10, outOfOrder: 1, seconds: 2 });
    expect(chat.deliveriesPerS).to.equal(495);
    expect(chat.maxMs).to.equal(3);
    expect(chat.sendLagMaxMs).to.be.NaN; // only paced runs have a schedule to lag behind
  });

  it('adds up the reasons connections closed and errors arrived, over all workers', () => {
    const stats = mergeStats([
      worker({ closed: { 'closed by server': 2 }, errors: { MUTED: 1 }, loopDelayMaxMs: 40 }),
      worker({ closed: { 'closed by server': 1, ECONNRESET: 1 }, loopDelayMaxMs: 900 }),
    ]);
    expect(stats.closed).to.deep.equal({ 'closed by server': 3, ECONNRESET: 1 });
    expect(stats.errors).to.deep.equal({ MUTED: 1 });
    expect(stats.loopDelayMaxMs).to.equal(900); // the worst worker is the one that matters
  });

  it('login figures: per-client percentiles over all workers, failures by reason', () => {
    const login = loginFigures(
      [
        { role: 'chat', times: [5, 7, 9], failures: {} },
        { role: 'chat', times: [100], failures: { LOGIN_TIMEOUT: 2 } },
      ],
      6,
    );
    expect(login).to.include({ clients: 6, ok: 4, p50Ms: 7, p99Ms: 100, maxMs: 100 });
    expect(login.failures).to.deep.equal({ LOGIN_TIMEOUT: 2 });
  });
});
