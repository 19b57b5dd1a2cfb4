import { expect } from 'chai';
import { formatReport, ratios, type Report, type RunResult } from '../../bench/report.js';
import { parseArgs } from '../../bench/main.js';

function run(target: RunResult['target'], deliveriesPerS: number, p99Ms: number, lost: number): RunResult {
  return {
    target,
    login: { clients: 10, ok: 10, failures: {}, totalS: 1, p50Ms: 2, p99Ms: 4, maxMs: 5 },
    chat: { sent: 100, expected: 1000, deliveries: 1000 - lost, lost, outOfOrder: 0, seconds: 1, deliveriesPerS, p50Ms: 1, p99Ms, maxMs: 9, meanMs: 1, sendLagMaxMs: NaN },
    server: { peakRssMB: 100, cpuS: 2, stdoutMB: 0, stderrMB: 0 },
    loadgen: { workers: 2, cpuS: 3, loopDelayP99Ms: 1, loopDelayMaxMs: 2, heartbeatLateMaxMs: 0 },
    phases: [{ name: 'chat', seconds: 1, serverCpuS: 0.5, serverMainCpuS: 0.4, serverLowCpuS: 0, loadCpuS: 1, serverRssMB: 90, serverPeakMB: 95 }],
    closed: {},
    errors: {},
    notices: {},
    heartbeats: 0,
    udpReceiveDrops: 0,
    receivedMB: 1,
    reads: 250,
  };
}

describe('bench report', () => {
  it('gives real/floor for each figure both runs have; 0 against 0 counts as the same', () => {
    const r = ratios(run('server', 900_000, 6, 0), run('floor', 1_000_000, 4, 0));
    expect(r['chat.deliveriesPerS']).to.equal(0.9);
    expect(r['chat.p99Ms']).to.equal(1.5);
    expect(r['chat.lost']).to.equal(1);
    expect(r).not.to.have.property('chat.sendLagMaxMs'); // not measured in a closed-loop run
  });

  it('prints a table a reader can scan: figure, real, floor, ratio; and what went wrong', () => {
    const real = { ...run('server', 900_000, 6, 3), closed: { 'closed by server': 3 } };
    const floor = run('floor', 1_000_000, 4, 0);
    const report: Report = {
      scenario: 'fanout',
      date: '2025-01-01T00:00:00.000Z',
      machine: { nproc: 2, node: 'v20.0.0', cpu: 'test cpu' },
      config: parseArgs(['--quick']),
      real,
      floor,
      ratios: ratios(real, floor),
    };
    const text = formatReport(report);
    expect(text).to.match(/chat: deliveries\/s\s+900,000\s+1,000,000\s+0\.90x/);
    expect(text).to.match(/chat: lost\s+3\s+0\s+-/);
    expect(text).to.include('server connections closed: closed by server x3');
  });
});
