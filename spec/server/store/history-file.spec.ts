/**
 * The history files, for real in a temp folder, with a fake clock: lines kept across a restart
 * in order, a file a day only ever appended to, retention by days, lines and bytes, a torn last
 * line skipped with one warning, and paging.
 */
import { expect } from 'chai';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryLine } from '../../../server/chat/history.js';
import { memoryLogger } from '../../../server/logger.js';
import { HistoryFile } from '../../../server/store/history-file.js';
import { FakeClock } from '../../support/fake-clock.js';

const DAY = 24 * 60 * 60 * 1000;

describe('HistoryFile (real files, fake clock)', () => {
  let dir: string;
  let clock: FakeClock;
  let logs: string[];
  const open = (max = 1000, days = 7, maxBytes?: number) => {
    const log = memoryLogger();
    logs = log.lines;
    return HistoryFile.open({ dir, days, max, clock, log, ...(maxBytes ? { maxBytes } : {}) });
  };
  const line = (id: number, text = `line ${id}`): HistoryLine => ({ id, ts: clock.now(), from: 'alice', text });
  const ids = (lines: HistoryLine[]) => lines.map((l) => l.id);

  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'chat-history-')), 'data');
    clock = new FakeClock(Date.UTC(2026, 11, 2, 10, 0, 0));
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('keeps the lines across a restart, in order, in a file named for the day, with the last id', async () => {
    const h = open();
    for (let id = 1; id <= 5; id++) h.record(line(id, id === 3 ? 'two\nlines, "quoted" ✓' : `line ${id}`));
    await h.close();
    expect(readdirSync(dir)).to.deep.equal(['history-2026-12-02.jsonl']);
    const again = open();
    expect(again.lastId).to.equal(5);
    expect(again.last(3).map((l) => l.text)).to.deep.equal(['two\nlines, "quoted" ✓', 'line 4', 'line 5']);
    expect(logs).to.include(`INFO History opened in ${dir}: 1 files, 5 lines kept`);
    await again.close();
  });

  it('writes in batches: nothing before 100 ms, then everything at once, and only ever appends', async () => {
    const h = open();
    h.record(line(1));
    h.record(line(2));
    const file = join(dir, 'history-2026-12-02.jsonl');
    expect(existsSync(file), 'not written yet').to.equal(false);
    clock.advance(100);
    await h.close(); // waits for the batch under way
    const first = readFileSync(file, 'utf8');
    expect(first.split('\n').filter(Boolean)).to.have.length(2);
    const inode = statSync(file).ino;
    const later = open();
    later.record(line(3));
    await later.close();
    expect(statSync(file).ino, 'the same file, appended to').to.equal(inode);
    expect(readFileSync(file, 'utf8').startsWith(first)).to.equal(true);
  });

  it('skips a torn last line with one warning, and the next line starts on a line of its own', async () => {
    const h = open();
    h.record(line(1));
    h.record(line(2));
    await h.close();
    const file = join(dir, 'history-2026-12-02.jsonl');
    appendFileSync(file, '{"id":3,"ts":1,"fro'); // kill -9 in the middle of a write
    const again = open();
    expect(ids(again.last(10))).to.deep.equal([1, 2]);
    expect(logs.filter((l) => l.includes('torn'))).to.deep.equal(['WARN History: skipped 1 torn last line (left by a crash)']);
    again.record(line(4));
    await again.close();
    const third = open();
    expect(ids(third.last(10))).to.deep.equal([1, 2, 4]);
    await third.close();
  });

  it('forgets lines older than --history-days and deletes their files, at start and once a day', async () => {
    const h = open(1000, 2);
    h.record(line(1));
    clock.advance(DAY);
    h.record(line(2));
    clock.advance(DAY);
    h.record(line(3));
    await h.flush();
    expect(readdirSync(dir).sort()).to.deep.equal(['history-2026-12-02.jsonl', 'history-2026-12-03.jsonl', 'history-2026-12-04.jsonl']);
    clock.advance(DAY); // the daily sweep, at 12-05 10:00: line 1 is 3 days old, line 2 just 2
    expect(ids(h.last(10))).to.deep.equal([2, 3]);
    expect(readdirSync(dir).sort()).to.deep.equal(['history-2026-12-03.jsonl', 'history-2026-12-04.jsonl']);
    expect(logs.some((l) => l.includes('History: deleted history-2026-12-02.jsonl'))).to.equal(true);
    await h.close();
    clock.advance(2 * DAY);
    const later = open(1000, 2); // at start
    expect(later.last(10)).to.deep.equal([]);
    expect(readdirSync(dir)).to.deep.equal([]);
    await later.close();
  });

  it('keeps at most --history-max lines, and a bounded amount of text', async () => {
    const h = open(3);
    for (let id = 1; id <= 6; id++) h.record(line(id));
    expect(ids(h.last(10))).to.deep.equal([4, 5, 6]);
    await h.close();
    const big = open(1000, 7, 10_000);
    for (let id = 7; id <= 20; id++) big.record(line(id, 'x'.repeat(1000)));
    const kept = big.last(1000);
    expect(kept.reduce((n, l) => n + l.text.length, 0)).to.be.at.most(10_000);
    expect(kept.at(-1)!.id).to.equal(20);
    await big.close();
  });

  it('pages back to the start, and replays what came after a given id', async () => {
    const h = open();
    for (let id = 1; id <= 10; id++) h.record(line(id * 10));
    expect(h.before(Number.MAX_SAFE_INTEGER, 4)).to.deep.include({ older: true });
    expect(ids(h.before(Number.MAX_SAFE_INTEGER, 4).lines)).to.deep.equal([70, 80, 90, 100]);
    expect(ids(h.before(70, 4).lines)).to.deep.equal([30, 40, 50, 60]);
    const start = h.before(30, 4);
    expect(ids(start.lines)).to.deep.equal([10, 20]);
    expect(start.older).to.equal(false);
    expect(h.before(10, 4)).to.deep.equal({ lines: [], older: false });
    expect(ids(h.after(75, 100).lines)).to.deep.equal([80, 90, 100]);
    expect(h.after(15, 3)).to.deep.include({ skipped: 6 });
    expect(ids(h.after(15, 3).lines)).to.deep.equal([80, 90, 100]);
    await h.close();
  });

  it('reads damaged lines in the middle as damage, not as the end of the file', async () => {
    const h = open();
    h.record(line(1));
    await h.close();
    const file = join(dir, 'history-2026-12-02.jsonl');
    writeFileSync(file, `${readFileSync(file, 'utf8')}not json\n${JSON.stringify(line(2))}\n`);
    const again = open();
    expect(ids(again.last(10))).to.deep.equal([1, 2]);
    expect(logs.some((l) => l.includes('skipped a damaged line in history-2026-12-02.jsonl (line 2)'))).to.equal(true);
    await again.close();
  });
});
