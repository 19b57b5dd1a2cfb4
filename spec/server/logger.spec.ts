import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { LoggingEvent } from 'log4js';
import { boundedSink, cachedTime, clockTime, fullTime } from '../../server/logger.js';

/** A stream that keeps what it is given and acknowledges a write only when told to. */
function stalledStream(): { stream: Writable; written: string[]; drain: () => void } {
  const written: string[] = [];
  const pending: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      written.push(chunk.toString());
      pending.push(done);
    },
  });
  return { stream, written, drain: () => pending.splice(0).forEach((done) => done()) };
}

describe('log sinks', () => {
  it('drop lines past the backlog limit and say how many once the stream catches up', async () => {
    const { stream, written, drain } = stalledStream();
    const sink = boundedSink(stream, 10);
    sink.write('first line\n'); // 11 bytes: now over the limit, still unacknowledged
    sink.write('lost a\nlost b\n');
    sink.write('lost c\n');
    // The stream took the first chunk; the rest sit nowhere: they were dropped.
    expect(written).to.deep.equal(['first line\n']);
    drain();
    await new Promise((r) => setImmediate(r));
    sink.write('after\n');
    drain();
    expect(written).to.deep.equal(['first line\n', '(3 log lines dropped: the log could not keep up)\n', 'after\n']);
  });

  it('write everything while the stream keeps up', () => {
    const { stream, written, drain } = stalledStream();
    const sink = boundedSink(stream, 1000);
    for (let i = 0; i < 5; i++) {
      sink.write(`line ${i}\n`);
      drain();
    }
    expect(written).to.deep.equal(['line 0\n', 'line 1\n', 'line 2\n', 'line 3\n', 'line 4\n']);
  });
});

describe('log line times', () => {
  it('read like log4js dates: local time, to the millisecond in the file', () => {
    const d = new Date(2026, 0, 2, 3, 4, 5, 6); // local time
    expect(fullTime(d)).to.equal('2026-01-02T03:04:05.006');
    expect(clockTime(d)).to.equal('03:04:05');
    expect(fullTime(new Date(2026, 10, 21, 23, 59, 59, 999))).to.equal('2026-11-21T23:59:59.999');
  });

  it('are formatted once per millisecond, however many lines share it', () => {
    const formatted: number[] = [];
    const time = cachedTime((d) => {
      formatted.push(d.getTime());
      return `t${d.getTime()}`;
    });
    const at = (ms: number) => ({ startTime: new Date(ms) }) as LoggingEvent;
    expect([at(1000), at(1000), at(1000), at(1001), at(1000)].map(time)).to.deep.equal(['t1000', 't1000', 't1000', 't1001', 't1000']);
    expect(formatted).to.deep.equal([1000, 1001, 1000]);
  });
});
