/**
 * The bench in miniature, so it never rots: --quick fanout with --floor starts a fresh server
 * process and the floor relay, runs the real protocol through worker processes, and must account
 * for every line. The figures themselves are not asserted (timing on a shared machine is not a
 * test); that nothing was lost or reordered, and that the report is complete, is.
 */
import { expect } from 'chai';
import { parseArgs, runBench } from '../../bench/main.js';
import { FIGURES } from '../../bench/report.js';

describe('bench smoke (--quick --floor)', function () {
  this.timeout(20_000);

  it('delivers every line to every client, in order, on the server and on the floor', async () => {
    const config = parseArgs(['--scenario', 'fanout', '--quick', '--floor', '--no-progress']);
    const report = await runBench(config);
    const everyLine = config.clients * config.senders * config.messages;
    expect(everyLine).to.be.greaterThan(0);
    for (const run of [report.real, report.floor!]) {
      expect(run.login.ok, `${run.target} logins`).to.equal(config.clients);
      expect(run.chat!.deliveries, `${run.target} deliveries`).to.equal(everyLine);
      expect(run.chat!.lost, `${run.target} lost`).to.equal(0);
      expect(run.chat!.outOfOrder, `${run.target} out of order`).to.equal(0);
      expect(run.closed, `${run.target} connections closed`).to.deep.equal({});
      expect(run.errors, `${run.target} errors`).to.deep.equal({});
    }
    expect(report.real.server.cpuS).to.be.greaterThan(0);
    for (const key of ['chat.deliveriesPerS', 'chat.p50Ms', 'chat.p99Ms', 'chat.maxMs', 'login.p99Ms', 'server.cpuS', 'server.peakRssMB']) {
      expect(FIGURES.some((f) => f.key === key), key).to.equal(true);
      expect(report.ratios?.[key], `ratio ${key}`).to.be.a('number').and.greaterThan(0);
    }
  });

  it('takes scenario sizes unless told otherwise, and "--json -" as stdout', () => {
    expect(parseArgs(['--scenario', 'paced'])).to.include({ clients: 1000, senders: 10, rate: 200, messages: 200 });
    expect(parseArgs(['--scenario', 'paced', '--rate', '100', '--seconds', '4'])).to.include({ messages: 40 });
    expect(parseArgs(['--json', '-']).json).to.equal('-');
  });

  it('refuses nonsense sizes with a message that names the option', () => {
    expect(() => parseArgs(['--clients', '0'])).to.throw(/--clients 0/);
    expect(() => parseArgs(['--host', '127.0.0.1'])).to.throw(/--host needs --port/);
  });
});
