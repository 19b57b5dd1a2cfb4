/**
 * The throttle of log lines about outsiders (server/net/log-throttle.ts), on a fake clock: lines
 * per key and period, the rest counted into one summary line, and a cap on keys.
 */
import { expect } from 'chai';
import { memoryLogger } from '../../../server/logger.js';
import { LogThrottle } from '../../../server/net/log-throttle.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('LogThrottle', () => {
  const make = (lines?: number, level?: 'info' | 'warn') => {
    const clock = new FakeClock();
    const log = memoryLogger();
    const throttle = new LogThrottle(clock, log, {
      periodMs: 1000,
      maxKeys: 2,
      tooMany: 'too many keys',
      summary: (key, n) => `${n} more from ${key}`,
      ...(lines !== undefined ? { lines } : {}),
      ...(level ? { level } : {}),
    });
    return { clock, log, throttle };
  };

  it('logs one line per key and period by default, at warn, and sums up the rest when the period ends', () => {
    const { clock, log, throttle } = make();
    expect([1, 2, 3].map((i) => throttle.hit('a', () => `a ${i}`))).to.deep.equal([true, false, false]);
    clock.advance(999);
    throttle.sweep();
    expect(log.lines).to.deep.equal(['WARN a 1']);
    clock.advance(1);
    throttle.sweep();
    expect(log.lines).to.deep.equal(['WARN a 1', 'WARN 2 more from a']);
  });

  it('with `lines`, logs that many a period, at the level given; a hit after the period sums up the last one first', () => {
    const { clock, log, throttle } = make(3, 'info');
    for (let i = 1; i <= 5; i++) throttle.hit('all', () => `line ${i}`);
    clock.advance(1000);
    throttle.hit('all', () => 'line 6');
    expect(log.lines).to.deep.equal(['INFO line 1', 'INFO line 2', 'INFO line 3', 'INFO 2 more from all', 'INFO line 6']);
  });

  it('past maxKeys in a period, only counts, and says so once', () => {
    const { log, throttle } = make();
    for (const key of ['a', 'b', 'c', 'd']) throttle.hit(key, () => key);
    expect(log.lines).to.deep.equal(['WARN a', 'WARN b', 'WARN too many keys']);
  });
});
