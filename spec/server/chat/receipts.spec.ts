/**
 * Receipts for offline messages on their own (server/chat/receipts.ts): one batch in flight per
 * user, resumed once, by its receipt (true) or by cut() (false); any other receipt is refused
 * and changes nothing. Literal ids, no room, no clock.
 */
import { expect } from 'chai';
import { Receipts } from '../../../server/chat/receipts.js';
import { refusal } from '../../support/recorder.js';

describe('Receipts', () => {
  /** A batch for `user` ending at `upTo`; what its `then` was called with, in order. */
  const expecting = (r: Receipts, user: string, upTo: number): boolean[] => {
    const calls: boolean[] = [];
    r.expect(user, upTo, (open) => calls.push(open));
    return calls;
  };

  it('resumes the delivery once on the receipt for the batch; a second one is refused', () => {
    const r = new Receipts();
    const calls = expecting(r, 'bob', 7);
    r.received('bob', 7);
    expect(calls).to.deep.equal([true]);
    expect(refusal(() => r.received('bob', 7))).to.equal('RECEIPT_UNEXPECTED: received 7: no offline messages are waiting for a receipt; nothing was deleted');
    expect(calls).to.deep.equal([true]);
  });

  it('refuses a receipt for another id and still waits for the right one', () => {
    const r = new Receipts();
    const calls = expecting(r, 'bob', 7);
    expect(refusal(() => r.received('bob', 6))).to.equal('RECEIPT_UNEXPECTED: received 6: the offline messages waiting for a receipt end at 7; nothing was deleted');
    expect(refusal(() => r.received('alice', 7)), "another user's").to.match(/^RECEIPT_UNEXPECTED: received 7: no offline messages/);
    expect(calls).to.deep.equal([]);
    r.received('bob', 7);
    expect(calls).to.deep.equal([true]);
  });

  it('stops the delivery once when cut, however often; a receipt after the cut is refused', () => {
    const r = new Receipts();
    const calls = expecting(r, 'bob', 7);
    r.cut('bob');
    r.cut('bob');
    expect(calls).to.deep.equal([false]);
    expect(refusal(() => r.received('bob', 7))).to.match(/^RECEIPT_UNEXPECTED: received 7: no offline messages/);
    expect(calls).to.deep.equal([false]);
  });
});
