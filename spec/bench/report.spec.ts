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
    phases: [{ name: 'chat', seconds: 1, serverCpuS: 0.5, serverMainCpuS: 0.4, serverLowCpuS: 0, serverMainWaitS: NaN, serverLowWaitS: NaN, machineIdle: NaN, loadCpuS: 1, serverRssMB: 90, serverPeakMB: 95 }],
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

  it("says how long the server's threads waited for a CPU, and how much of the machine stood idle", () => {
    const connect = { name: 'login', seconds: 10, serverCpuS: 11, serverMainCpuS: 2.5, serverLowCpuS: 8, serverMainWaitS: 1.6, serverLowWaitS: 1.7, machineIdle: 0.23 };
    const real = { ...run('server', 0, 0, 0), phases: [{ ...connect, loadCpuS: 4, serverRssMB: 110, serverPeakMB: 125 }] };
    const floor = { ...run('floor', 0, 0, 0), phases: [{ ...connect, serverMainWaitS: NaN, serverLowWaitS: NaN, machineIdle: NaN, loadCpuS: 1, serverRssMB: 50, serverPeakMB: 50 }] };
    const report: Report = {
      scenario: 'connect',
      date: '2025-01-01T00:00:00.000Z',
      machine: { nproc: 2, node: 'v20.0.0', cpu: 'test cpu' },
      config: parseArgs(['--quick', '--scenario', 'connect']),
      real,
      floor,
      ratios: ratios(real, floor),
    };
    const text = formatReport(report);
    expect(text).to.include('event loop 25% (16% waiting for a CPU), hash threads 80% (17% waiting for a CPU))');
    expect(text).to.include('machine idle 23%');
    // Where the kernel keeps no schedstat, the share on a CPU is all there is.
    expect(text).to.match(/floor phases:\n  login .* event loop 25%, hash threads 80%\), .* machine idle -,/);
  });
});
