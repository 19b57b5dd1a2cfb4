/**
 * LoginGate: throttling by address first and by account second (which the owner's own addresses
 * escape), at most maxFailures password checks per key at once woken first come first served,
 * answers that tell a name's existence counted, and registrations per address. Fake clock.
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
    gate = new LoginGate(2, clock, 3);
  });

  it('runs at most max checks per address at once and admits waiters in arrival order', async () => {
    const a = await gate.admit('alice', 'x');
    const b = await gate.admit('bob', 'x');
    const order: string[] = [];
    const waiting = ['c', 'd', 'e'].map((name) => gate.admit(name, 'x').then((adm) => (order.push(name), adm)));
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

  it('keeps addresses apart: a full address does not hold up another', async () => {
    await gate.admit('a', 'x');
    await gate.admit('b', 'x');
    const other = await gate.admit('c', 'y');
    expect(other.wait).to.equal(0);
  });

  it('makes an address wait after max failures in a minute, until the window passes', async () => {
    gate.fail('alice', 'x');
    gate.fail('bob', 'x');
    expect((await gate.admit('carol', 'x')).wait).to.equal(60);
    expect((await gate.admit('carol', 'y')).wait, 'another address').to.equal(0);
    clock.advance(45_000);
    expect((await gate.admit('carol', 'x')).wait).to.equal(15);
    clock.advance(15_000);
    expect((await gate.admit('carol', 'x')).wait).to.equal(0);
  });

  it('slows guessing at one account from many addresses, but never locks its owner out', async () => {
    gate.succeeded('alice', 'home');
    // 4 x max failures from strangers' addresses, one each.
    for (let i = 0; i < 8; i++) gate.fail('alice', `10.0.0.${i}`);
    expect((await gate.admit('alice', '10.0.0.99')).wait, 'a ninth stranger waits').to.equal(600);
    const owner = await gate.admit('alice', 'home');
    expect(owner.wait, 'the owner logs in from home').to.equal(0);
    owner.release();
    // Failures from the owner's address count against that address only.
    gate.fail('alice', 'home');
    expect((await gate.admit('bob', 'elsewhere')).wait).to.equal(0);
    clock.advance(600_000);
    expect((await gate.admit('alice', '10.0.0.99')).wait).to.equal(0);
  });

  it('counts answers that tell whether a name exists as failures of the address', () => {
    expect(gate.waitForAddress('x')).to.equal(0);
    gate.revealed('x');
    gate.revealed('x');
    expect(gate.waitForAddress('x')).to.equal(60);
    expect(gate.waitForAddress('y')).to.equal(0);
  });

  it('lets an address create a few accounts an hour', () => {
    for (let i = 0; i < 3; i++) {
      expect(gate.waitToRegister('x')).to.equal(0);
      gate.registered('x');
    }
    expect(gate.waitToRegister('x')).to.equal(3600);
    expect(gate.waitToRegister('y')).to.equal(0);
    clock.advance(3600_000);
    expect(gate.waitToRegister('x')).to.equal(0);
  });

  it('counts registrations still under way toward the hour, and gives back the place of one that made no account', () => {
    // gate allows 3 an hour: three started at once fill it before any has finished.
    const places = [0, 1, 2].map(() => gate.startRegistration('x'));
    expect(places.map((p) => p.wait)).to.deep.equal([0, 0, 0]);
    expect(gate.startRegistration('x').wait, 'all places taken by registrations under way').to.equal(1);
    places[0]!.release(); // the name was taken meanwhile: no account, the place is free
    places[0]!.release(); // given back once only
    places.push(gate.startRegistration('x'));
    expect(places[3]!.wait).to.equal(0);
    expect(gate.startRegistration('x').wait).to.equal(1);
    for (const p of places.slice(1)) {
      gate.registered('x');
      p.release();
    }
    expect(gate.waitToRegister('x'), 'three accounts made this hour').to.equal(3600);
    expect(gate.startRegistration('y').wait).to.equal(0);
  });

  it('passes the place on when a woken waiter turns out to be throttled', async () => {
    // Two checks run from x: the address has no place left.
    const running: Admission[] = [await gate.admit('a1', 'x'), await gate.admit('a2', 'x')];
    const throttled = gate.admit('victim', 'x');
    let otherIn = false;
    const other = gate.admit('bob', 'x').then((adm) => ((otherIn = true), adm));
    await turn();
    // Meanwhile strangers guess at victim from elsewhere: the account is throttled, x is not.
    for (let i = 0; i < 8; i++) gate.fail('victim', `10.0.0.${i}`);
    running[0]!.release(); // one place on x: it goes to `throttled`, who cannot use it
    await turn();
    expect((await throttled).wait).to.be.greaterThan(0);
    await turn();
    // ...so it was handed to the next in line, with running[1] still holding the other place.
    expect(otherIn).to.equal(true);
    expect((await other).wait).to.equal(0);
  });
});
