import { expect } from 'chai';
import { FailureTracker } from '../../../server/store/failures.js';

describe('FailureTracker (literal times)', () => {
  it('makes a key wait after max failures within the window, until the oldest ages out', () => {
    const f = new FailureTracker(3, 60_000);
    expect(f.waitFor('user:alice', 0)).to.equal(0);
    f.fail('user:alice', 0);
    f.fail('user:alice', 1000);
    expect(f.waitFor('user:alice', 1500)).to.equal(0);
    f.fail('user:alice', 2000);
    expect(f.waitFor('user:alice', 2000)).to.equal(58);
    expect(f.waitFor('user:alice', 59_500)).to.equal(1);
    expect(f.waitFor('user:alice', 60_000)).to.equal(0);
  });

  it('keeps keys apart', () => {
    const f = new FailureTracker(2, 60_000);
    f.fail('user:alice', 0);
    f.fail('user:alice', 0);
    expect(f.waitFor('user:alice', 0)).to.be.greaterThan(0);
    expect(f.waitFor('user:bob', 0)).to.equal(0);
    expect(f.waitFor('addr:127.0.0.1', 0)).to.equal(0);
  });

  it('sweep keeps recent failures and forgets old ones', () => {
    const f = new FailureTracker(2, 60_000);
    f.fail('k', 0);
    f.fail('k', 30_000);
    f.sweep(40_000);
    expect(f.waitFor('k', 40_000)).to.equal(20);
    f.sweep(90_000);
    expect(f.waitFor('k', 90_000)).to.equal(0);
  });

  it('with more failures than max, waits until enough have aged out, not just the oldest', () => {
    const f = new FailureTracker(2, 60_000);
    f.fail('addr:a', 0);
    f.fail('addr:a', 10_000);
    f.fail('addr:a', 20_000);
    // At 60 s the failures of 10 s and 20 s are still two within the window: wait for 10 s's.
    expect(f.waitFor('addr:a', 30_000)).to.equal(40);
    expect(f.waitFor('addr:a', 69_999)).to.equal(1);
    expect(f.waitFor('addr:a', 70_000)).to.equal(0);
  });

  it('counts pending attempts as places taken', () => {
    const f = new FailureTracker(3, 60_000);
    f.fail('reg:a', 0);
    expect(f.waitFor('reg:a', 1000, 1)).to.equal(0);
    expect(f.waitFor('reg:a', 1000, 2)).to.equal(1);
    f.fail('reg:a', 1000);
    f.fail('reg:a', 2000);
    expect(f.waitFor('reg:a', 2000, 2)).to.equal(58);
  });

  it('takes failures out of order (another server\'s, arriving late) in their place', () => {
    const f = new FailureTracker(5, 60_000);
    f.fail('addr:a', 40_000);
    for (const t of [10_000, 11_000, 12_000, 13_000]) f.fail('addr:a', t);
    expect(f.waitFor('addr:a', 20_000)).to.equal(50, 'five within the window: until 10 s ages out');
    expect(f.waitFor('addr:a', 72_000)).to.equal(0, 'only the failure of 40 s is left');
    const g = new FailureTracker(2, 60_000);
    for (const t of [10_000, 9_990, 10_010]) g.fail('k', t);
    // The two newest are 10 s and 10.01 s: at 69.995 s the one of 10 s still holds the key.
    expect(g.waitFor('k', 69_995)).to.equal(1);
    expect(g.waitFor('k', 70_000)).to.equal(0);
  });

  it('without a limit never makes anyone wait', () => {
    const f = new FailureTracker(Infinity, 60_000);
    for (let t = 0; t < 1000; t++) f.fail('reg:a', t);
    expect(f.waitFor('reg:a', 1000, 1000)).to.equal(0);
  });
});
