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
});
