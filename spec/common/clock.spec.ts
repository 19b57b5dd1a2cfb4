/**
 * What a user is told to wait, in whole seconds, from monotonic times that have fractions.
 */
import { expect } from 'chai';
import { secondsUntil } from '../../common/clock.js';

describe('common/clock secondsUntil', () => {
  it('says 60 s for a 60 s wait, also where (now + 60000) - now is a hair above 60000', () => {
    const now = 130871.94710042827; // (now + 60000) - now === 60000.000000000015
    expect(now + 60_000 - now).to.be.above(60_000);
    expect(secondsUntil(now + 60_000, now)).to.equal(60);
  });

  it('rounds a part of a second up, and never says less than 1', () => {
    expect(secondsUntil(10_500.25, 10_000.25)).to.equal(1);
    expect(secondsUntil(12_001, 10_000)).to.equal(3);
    expect(secondsUntil(10_000, 10_000)).to.equal(1);
    expect(secondsUntil(9_000, 10_000)).to.equal(1);
  });
});
