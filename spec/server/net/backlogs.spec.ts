/**
 * Backlogs with literal frames: the newest output per user up to its cap, and for everyone up to
 * the total, the longest-waiting user's oldest frames going first.
 */
import { expect } from 'chai';
import { Backlogs } from '../../../server/net/backlogs.js';

const frame = (n: number, size = 10) => Buffer.alloc(size, n);
const ids = (frames: Buffer[]) => frames.map((f) => f[0]);

describe('Backlogs (literal frames)', () => {
  it('keeps the newest frames of one user within its cap, at least one', () => {
    const b = new Backlogs(25, 1000);
    const k = b.open();
    for (let n = 1; n <= 4; n++) b.keep(k, frame(n));
    expect(ids(b.take(k))).to.deep.equal([3, 4]);
    const big = b.open();
    b.keep(big, frame(9, 100));
    expect(ids(b.take(big)), 'one frame over the cap is still kept').to.deep.equal([9]);
    expect(b.bytes).to.equal(0);
    expect(b.dropped).to.equal(2);
  });

  it('holds at most the total for everyone: the user waiting longest loses their oldest first', () => {
    const b = new Backlogs(1000, 50);
    const early = b.open();
    const late = b.open();
    for (let n = 1; n <= 3; n++) b.keep(early, frame(n));
    for (let n = 11; n <= 13; n++) b.keep(late, frame(n)); // 60 bytes: one of early's goes
    expect(b.bytes).to.equal(50);
    b.keep(late, frame(14));
    b.keep(late, frame(15));
    b.keep(late, frame(16)); // early is emptied first, then late's own oldest
    expect(ids(b.take(early))).to.deep.equal([]);
    expect(ids(b.take(late))).to.deep.equal([12, 13, 14, 15, 16]);
    expect(b.bytes).to.equal(0);
  });

  it('a user emptied once still waited longest: what comes for them next goes first again', () => {
    const b = new Backlogs(1000, 20);
    const early = b.open();
    const late = b.open();
    b.keep(early, frame(1));
    b.keep(late, frame(11));
    b.keep(late, frame(12)); // early is emptied
    b.keep(early, frame(2)); // and loses this at once, not late its oldest
    expect(ids(b.take(late))).to.deep.equal([11, 12]);
    expect(ids(b.take(early))).to.deep.equal([]);
    for (let n = 0; n < 200; n++) {
      const gone = b.open(); // sessions that held frames and ended: nothing left behind
      b.keep(gone, frame(9));
      b.discard(gone);
    }
    const again = b.open();
    b.keep(again, frame(3));
    expect(ids(b.take(again))).to.deep.equal([3]);
    expect(b.bytes).to.equal(0);
  });

  it('forgets a discarded backlog and keeps nothing more for it', () => {
    const b = new Backlogs(1000, 1000);
    const k = b.open();
    b.keep(k, frame(1));
    b.discard(k);
    b.keep(k, frame(2));
    expect(b.bytes).to.equal(0);
    expect(b.take(k)).to.deep.equal([]);
  });
});
