import { expect } from 'chai';
import { backoffDelay } from '../../client/backoff.js';

describe('client/backoff', () => {
  it('starts at 0.5 s and doubles up to 5 s (no jitter drawn: the top of each step)', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 50].map((a) => backoffDelay(a, top))).to.deep.equal([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('spreads each delay between half and all of its step, so restarted servers see no storm', () => {
    expect(backoffDelay(0, () => 0)).to.equal(250);
    expect(backoffDelay(0, () => 0.5)).to.equal(375);
    expect(backoffDelay(4, () => 0)).to.equal(2500);
    expect(backoffDelay(4, () => 0.5)).to.equal(3750);
  });
});
