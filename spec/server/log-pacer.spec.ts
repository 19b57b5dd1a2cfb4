/**
 * The log's pacing (Pacer in server/log-sinks.ts): a quiet server's lines go out at the end of
 * the turn, a busy one's at most once per interval, and now() writes at once.
 */
import { expect } from 'chai';
import { Pacer, type PacerTimers } from '../../server/log-sinks.js';

/** A fake clock and timer queue: advance(ms) runs what falls due. */
function fakeTimers(): PacerTimers & { t: number; due: { at: number; fn: () => void }[]; advance(ms: number): void } {
  const f = {
    t: 1000,
    due: [] as { at: number; fn: () => void }[],
    now: () => f.t,
    after: (fn: () => void, ms: number) => {
      const entry = { at: f.t + ms, fn };
      f.due.push(entry);
      return () => void (f.due = f.due.filter((e) => e !== entry));
    },
    advance(ms: number) {
      f.t += ms;
      for (const e of f.due.filter((e) => e.at <= f.t)) {
        f.due = f.due.filter((x) => x !== e);
        e.fn();
      }
    },
  };
  return f;
}

describe('log pacer', () => {
  it('flushes once at the end of the turn when quiet, then at most once per interval', () => {
    const timers = fakeTimers();
    const flushes: number[] = [];
    const pacer = new Pacer(() => flushes.push(timers.t), 50, timers);
    pacer.schedule();
    pacer.schedule();
    expect(timers.due.map((e) => e.at)).to.deep.equal([1000]); // this turn's end
    timers.advance(0);
    expect(flushes).to.deep.equal([1000]);
    timers.advance(10);
    pacer.schedule();
    pacer.schedule();
    expect(timers.due.map((e) => e.at)).to.deep.equal([1050]); // 50 ms after the last flush
    timers.advance(39);
    expect(flushes).to.deep.equal([1000]);
    timers.advance(1);
    expect(flushes).to.deep.equal([1000, 1050]);
    timers.advance(100);
    pacer.schedule();
    expect(timers.due.map((e) => e.at)).to.deep.equal([1150]); // quiet again: at once
  });

  it('now() flushes at once and cancels the pending flush', () => {
    const timers = fakeTimers();
    let flushes = 0;
    const pacer = new Pacer(() => flushes++, 50, timers);
    pacer.now();
    pacer.schedule();
    expect(timers.due).to.have.length(1);
    pacer.now();
    expect(flushes).to.equal(2);
    expect(timers.due).to.deep.equal([]);
  });
});
