/**
 * The file-transfer bench in miniature, so it never rots: a real server process, a 1 MiB file
 * through the client's own sending and receiving code (checked by SHA-256 at the receiver, or the
 * run fails), and the chat timed before and during it. The latencies themselves are not asserted
 * (timing on a shared machine is not a test); that every line was timed and the report is whole, is.
 */
import { expect } from 'chai';
import { parseArgs, runTransferBench } from '../../bench/transfer.js';

describe('bench:transfer (1 MiB)', function () {
  this.timeout(30_000);

  it('transfers the file and times the chat between two others before and during it', async () => {
    const r = await runTransferBench(parseArgs(['--size', '1', '--chat-rate', '50']));
    expect(r.seconds).to.be.greaterThan(0);
    expect(r.quiet.length).to.be.greaterThan(50);
    expect(r.during.length).to.be.greaterThan(0);
    expect(r.lines[0]).to.match(/^file: 1 MiB from alice to bob in \d+\.\d\d s .*checked by SHA-256 at bob$/);
    expect(r.lines.slice(-2).map((l) => l.split(/\s{2,}/)[0])).to.deep.equal(['without a transfer', 'during the transfer']);
  });

  it('refuses a size or a chat rate out of range', () => {
    expect(() => parseArgs(['--size', '0'])).to.throw('invalid --size 0: use 1 to 1024 MiB');
    expect(() => parseArgs(['--chat-rate', '0'])).to.throw('invalid --chat-rate 0: use 1 to 5000 lines a second');
  });
});
