/**
 * The lines a history keeps in memory, with literal lines and a fake clock: paging and replay
 * over them, lines past --history-max never shown though trimmed only in steps, retention by
 * days and by text, and lines added out of order or twice.
 */
import { expect } from 'chai';
import type { HistoryLine } from '../../../server/chat/history.js';
import { RecentWindow, TRIM_SLACK } from '../../../server/store/recent-window.js';
import { FakeClock } from '../../support/fake-clock.js';

const DAY = 24 * 60 * 60 * 1000;
const T = Date.UTC(2026, 11, 2, 10, 0, 0);
const line = (id: number, text = `line ${id}`, ts = T): HistoryLine => ({ id, ts, from: 'alice', text });
const ids = (lines: HistoryLine[]) => lines.map((l) => l.id);

describe('RecentWindow (literal lines, fake clock)', () => {
  let clock: FakeClock;
  const make = (max = 5, days = 7, maxBytes = 1000) => new RecentWindow({ max, days, maxBytes, clock });

  beforeEach(() => {
    clock = new FakeClock(T);
  });

  it('pages back, replays after an id, and shows the newest lines', () => {
    const w = make();
    for (const id of [1, 2, 3, 4, 5]) w.push(line(id));
    expect(ids(w.last(2))).to.deep.equal([4, 5]);
    expect(ids(w.last(10))).to.deep.equal([1, 2, 3, 4, 5]);
    expect(w.before(4, 2)).to.deep.equal({ lines: [line(2), line(3)], older: true });
    expect(w.before(3, 5)).to.deep.equal({ lines: [line(1), line(2)], older: false });
    expect(w.after(2, 10)).to.deep.equal({ lines: [line(3), line(4), line(5)], skipped: 0 });
    expect(w.after(1, 2)).to.deep.equal({ lines: [line(4), line(5)], skipped: 2 });
    expect(w.after(5, 2)).to.deep.equal({ lines: [], skipped: 0 });
    expect(w.lastId).to.equal(5);
    expect(w.oldestId).to.equal(1);
    expect(make().oldestId).to.equal(Infinity);
  });

  it('never shows lines past max, but drops them only once TRIM_SLACK more have come', () => {
    const w = make(3, 7, 1_000_000);
    for (let id = 1; id <= 3 + TRIM_SLACK; id++) {
      w.push(line(id, 'x'));
      w.trimWhenDue();
    }
    expect(w.size).to.equal(3 + TRIM_SLACK);
    expect(ids(w.last(10))).to.deep.equal([TRIM_SLACK + 1, TRIM_SLACK + 2, TRIM_SLACK + 3]);
    expect(w.before(TRIM_SLACK + 2, 10)).to.deep.equal({ lines: [line(TRIM_SLACK + 1, 'x')], older: false });
    expect(w.after(0, 10).lines).to.have.length(3);
    w.push(line(4 + TRIM_SLACK, 'x'));
    w.trimWhenDue();
    expect(w.size).to.equal(3);
    expect(w.oldestId).to.equal(TRIM_SLACK + 2);
    expect(w.lastId).to.equal(4 + TRIM_SLACK);
  });

  it('forgets lines older than the days kept, and the oldest text beyond maxBytes', () => {
    const w = make(100, 1, 10);
    w.push(line(1, 'a', T - DAY - 1));
    w.push(line(2, 'bbbb'));
    w.push(line(3, 'cccc'));
    w.trimWhenDue(); // 9 characters, 3 lines: no step due
    expect(w.size).to.equal(3);
    w.trim();
    expect(ids(w.last(10))).to.deep.equal([2, 3]);
    w.push(line(4, 'dddd'));
    w.trimWhenDue(); // 12 characters > 10: the oldest go
    expect(ids(w.last(10))).to.deep.equal([3, 4]);
    clock.advance(DAY + 1);
    w.trim();
    expect(w.size).to.equal(0);
    expect(w.lastId).to.equal(4);
  });

  it('inserts in id order and refuses an id it has; loads lines read in any order', () => {
    const w = make();
    expect(w.insert(line(3))).to.equal(true);
    expect(w.insert(line(1))).to.equal(true);
    expect(w.insert(line(2))).to.equal(true);
    expect(w.insert(line(2, 'again'))).to.equal(false);
    expect(w.last(10)).to.deep.equal([line(1), line(2), line(3)]);
    const loaded = make();
    loaded.load([line(7), line(5), line(6)]);
    expect(ids(loaded.last(10))).to.deep.equal([5, 6, 7]);
    expect(loaded.lastId).to.equal(7);
  });
});
