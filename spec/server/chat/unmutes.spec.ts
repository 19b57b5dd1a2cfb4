import { expect } from 'chai';
import { Limits } from '../../../server/chat/ratelimit.js';
import { Unmutes } from '../../../server/chat/unmutes.js';
import { FakeClock } from '../../support/fake-clock.js';

function setUp() {
  const clock = new FakeClock();
  const limits = new Limits({ count: 5, windowMs: 10_000, muteMs: 30_000 });
  const told: string[] = [];
  const unmutes = new Unmutes(limits, clock, (who) => told.push(`${who.key} (${who.limitKey})`));
  return { clock, limits, told, unmutes };
}

const alice = { key: 'alice', limitKey: 'user:alice' };

describe('Unmutes (fake clock)', () => {
  it('tells the user once the time is up, not before', () => {
    const { clock, told, unmutes } = setUp();
    unmutes.in(alice, 10_000);
    clock.advance(9_999);
    expect(told).to.deep.equal([]);
    clock.advance(1);
    expect(told).to.deep.equal(['alice (user:alice)']);
    clock.advance(60_000);
    expect(told).to.have.length(1);
  });

  it('a newer mute replaces the timer; a cancelled one says nothing', () => {
    const { clock, told, unmutes } = setUp();
    unmutes.in(alice, 10_000);
    unmutes.in(alice, 20_000);
    clock.advance(10_000);
    expect(told).to.deep.equal([]);
    clock.advance(10_000);
    expect(told).to.have.length(1);
    unmutes.in(alice, 5_000);
    unmutes.cancel('user:alice');
    clock.advance(60_000);
    expect(told).to.have.length(1);
  });

  it('waits for a mute that still holds the limit when the timer fires', () => {
    const { clock, limits, told, unmutes } = setUp();
    limits.hold('user:alice', clock.monotonic() + 25_000, clock.monotonic());
    unmutes.in(alice, 10_000);
    clock.advance(10_000);
    expect(told).to.deep.equal([]);
    clock.advance(15_000);
    expect(told).to.deep.equal(['alice (user:alice)']);
  });
});
