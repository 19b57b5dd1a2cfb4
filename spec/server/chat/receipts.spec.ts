/**
 * Receipts for offline messages on their own (server/chat/receipts.ts): one batch in flight per
 * user, its wait ended once, by its receipt, by cut(), or by the time running out (then, perhaps,
 * by a late receipt); any other receipt is refused and changes nothing. Literal ids and a fake
 * clock, no room.
 */
import { expect } from 'chai';
import { Receipts, type Outcome } from '../../../server/chat/receipts.js';
import { FakeClock } from '../../support/fake-clock.js';
import { refusal } from '../../support/recorder.js';

describe('Receipts', () => {
  /** How long a receipt is waited for, in these specs. */
  const WAIT = 20_000;
  let clock: FakeClock;
  let r: Receipts;
  beforeEach(() => {
    clock = new FakeClock();
    r = new Receipts(clock, WAIT);
  });

  /** A batch for `user` ending at `upTo`; how its wait ended, in order. */
  const expecting = (user: string, upTo: number): Outcome[] => {
    const calls: Outcome[] = [];
    r.expect(user, upTo, (outcome) => calls.push(outcome));
    return calls;
  };

  it('ends the wait once on the receipt for the batch; a second one is refused', () => {
    const calls = expecting('bob', 7);
    r.received('bob', 7);
    expect(calls).to.deep.equal(['received']);
    expect(refusal(() => r.received('bob', 7))).to.equal('RECEIPT_UNEXPECTED: received 7: no offline messages are waiting for a receipt; nothing was deleted');
    clock.advance(WAIT);
    expect(calls, 'the timer went with the receipt').to.deep.equal(['received']);
    expect(clock.pending()).to.equal(0);
  });

  it('refuses a receipt for another id and still waits for the right one', () => {
    const calls = expecting('bob', 7);
    expect(refusal(() => r.received('bob', 6))).to.equal('RECEIPT_UNEXPECTED: received 6: the offline messages waiting for a receipt end at 7; nothing was deleted');
    expect(refusal(() => r.received('alice', 7)), "another user's").to.match(/^RECEIPT_UNEXPECTED: received 7: no offline messages/);
    expect(calls).to.deep.equal([]);
    r.received('bob', 7);
    expect(calls).to.deep.equal(['received']);
  });

  it('ends the wait once when cut, however often; a receipt after the cut is refused', () => {
    const calls = expecting('bob', 7);
    r.cut('bob');
    r.cut('bob');
    expect(calls).to.deep.equal(['cut']);
    expect(refusal(() => r.received('bob', 7))).to.match(/^RECEIPT_UNEXPECTED: received 7: no offline messages/);
    expect(calls).to.deep.equal(['cut']);
    expect(clock.pending()).to.equal(0);
  });

  it('gives up once the wait has run out, and takes the receipt that comes later as late', () => {
    const calls = expecting('bob', 7);
    clock.advance(WAIT - 1);
    expect(calls, 'still waiting').to.deep.equal([]);
    clock.advance(1);
    expect(calls).to.deep.equal(['overdue']);
    expect(refusal(() => r.received('bob', 6)), 'still the batch ending at 7').to.match(/end at 7; nothing was deleted$/);
    r.received('bob', 7);
    expect(calls).to.deep.equal(['overdue', 'late']);
    expect(refusal(() => r.received('bob', 7)), 'once').to.match(/no offline messages/);
  });

  it('forgets an overdue batch when cut (its delivery has ended: nothing more to tell) or when the next batch is sent', () => {
    const cut = expecting('bob', 7);
    clock.advance(WAIT);
    r.cut('bob');
    expect(cut).to.deep.equal(['overdue']);
    expect(refusal(() => r.received('bob', 7))).to.match(/no offline messages/);

    const first = expecting('bob', 7);
    clock.advance(WAIT);
    const again = expecting('bob', 9);
    expect(refusal(() => r.received('bob', 7)), 'the batch sent again counts now').to.match(/end at 9/);
    r.received('bob', 9);
    expect([first, again]).to.deep.equal([['overdue'], ['received']]);
  });

  it("times each user's batch on its own", () => {
    const bob = expecting('bob', 7);
    clock.advance(WAIT / 2);
    const carol = expecting('carol', 3);
    clock.advance(WAIT / 2);
    expect([bob, carol]).to.deep.equal([['overdue'], []]);
    r.received('carol', 3);
    expect(carol).to.deep.equal(['received']);
    expect(clock.pending()).to.equal(0);
  });
});
