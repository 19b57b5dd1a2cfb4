/**
 * LoginGate: at most maxFailures password checks per key at once, woken first come first served,
 * and attempts wait after maxFailures failures in a minute. Fake clock, no sockets.
 */
import { expect } from 'chai';
import { LoginGate, type Admission } from '../../../server/store/login-gate.js';
import { FakeClock } from '../../support/fake-clock.js';

/** Lets resolved promises run their continuations. */
const turn = () => new Promise((r) => setImmediate(r));

describe('LoginGate', () => {
  let clock: FakeClock;
  let gate: LoginGate;
  beforeEach(() => {
    clock = new FakeClock();
    gate = new LoginGate(2, clock);
  });

  it('runs at most max checks per key at once and admits waiters in arrival order', async () => {
    const a = await gate.admit(['addr:x']);
    const b = await gate.admit(['addr:x']);
    const order: string[] = [];
    const waiting = ['c', 'd', 'e'].map((name) => gate.admit(['addr:x']).then((adm) => (order.push(name), adm)));
    await turn();
    expect(order).to.deep.equal([]);
    a.release();
    await turn();
    expect(order).to.deep.equal(['c']);
    b.release();
    b.release(); // a second release gives back nothing more
    await turn();
    expect(order).to.deep.equal(['c', 'd']);
    (await waiting[0]!).release();
    await turn();
    expect(order).to.deep.equal(['c', 'd', 'e']);
  });

  it('keeps keys apart: a full address does not hold up another', async () => {
    await gate.admit(['addr:x']);
    await gate.admit(['addr:x']);
    const other = await gate.admit(['addr:y']);
    expect(other.wait).to.equal(0);
  });

  it('makes attempts wait after max failures, until the window passes', async () => {
    gate.fail(['user:alice']);
    gate.fail(['user:alice']);
    expect((await gate.admit(['user:alice'])).wait).to.equal(60);
    clock.advance(45_000);
    expect((await gate.admit(['user:alice'])).wait).to.equal(15);
    clock.advance(15_000);
    expect((await gate.admit(['user:alice'])).wait).to.equal(0);
  });

  it('passes the place on when a woken waiter turns out to be throttled', async () => {
    const running: Admission[] = [await gate.admit(['user:a', 'addr:x']), await gate.admit(['user:a', 'addr:x'])];
    // Both wait on addr:x, in this order.
    const throttled = gate.admit(['addr:x', 'user:a']);
    let otherIn = false;
    const other = gate.admit(['addr:x', 'user:b']).then((adm) => ((otherIn = true), adm));
    await turn();
    // The running checks for user:a fail: user:a is now throttled.
    gate.fail(['user:a']);
    gate.fail(['user:a']);
    running[0]!.release(); // one place on addr:x: it goes to `throttled`, who cannot use it
    await turn();
    expect((await throttled).wait).to.be.greaterThan(0);
    await turn();
    // ...so it was handed to the next in line, with running[1] still holding the other place.
    expect(otherIn).to.equal(true);
    expect((await other).wait).to.equal(0);
  });
});
