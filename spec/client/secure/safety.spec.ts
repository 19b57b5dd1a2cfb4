/**
 * Safety numbers: the same for both people, and different as soon as either key is not the one
 * its owner holds (a key swapped in the middle).
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { safetyNumber } from '../../../client/secure/safety.js';

describe('client/secure/safety', () => {
  const alice = { name: 'alice', key: randomBytes(32) };
  const bob = { name: 'Bob', key: randomBytes(32) };

  it('is 60 digits in 12 groups of 5, the same whoever computes it, and any case of a name', () => {
    const n = safetyNumber(alice, bob);
    expect(n).to.match(/^\d{5}( \d{5}){11}$/);
    expect(safetyNumber(bob, alice)).to.equal(n);
    expect(safetyNumber({ ...alice, name: 'ALICE' }, bob)).to.equal(n);
  });

  it('differs when a key is replaced (a man in the middle), or the name is another', () => {
    const mallory = randomBytes(32);
    const n = safetyNumber(alice, bob);
    expect(safetyNumber({ name: 'alice', key: mallory }, bob)).to.not.equal(n);
    expect(safetyNumber(alice, { name: 'Bob', key: mallory })).to.not.equal(n);
    expect(safetyNumber({ ...alice, name: 'carol' }, bob)).to.not.equal(n);
  });
});
