/**
 * The history files, for real in a temp folder, with a fake clock: lines kept across a restart
 * in order, a file a day only ever appended to, retention by days, lines and bytes, a torn last
 * line skipped with one warning, and paging; the disk bounded like memory (segments), and files
 * that cannot be read, or hold lines far too long, skipped at start.
 */
import { expect } from 'chai';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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
  /** Bytes in the history files. */
  const onDisk = () => readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
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

  it('keeps on disk no more than the lines kept and one segment, within a day (the day file grew with every line)', async () => {
    // 10,000 characters kept, so segments of 2,500 bytes; 200 lines of 1,000 written in one day.
    const h = open(1000, 7, 10_000);
    for (let id = 1; id <= 200; id++) {
      h.record(line(id, 'x'.repeat(1000)));
      if (id % 10 === 0) await h.flush();
    }
    await h.flush();
    const kept = ids(h.last(1000));
    expect(kept.at(-1)).to.equal(200);
    expect(onDisk(), 'bytes of history on disk').to.be.below(10_000 + 2_500 + 2 * 1100);
    expect(readdirSync(dir).every((f) => f.startsWith('history-2026-12-02')), 'all of one day').to.equal(true);
    expect(readdirSync(dir).length).to.be.above(1);
    await h.close();
    const again = open(1000, 7, 10_000);
    expect(ids(again.last(1000)), 'the same lines after a restart').to.deep.equal(kept);
    again.record(line(201));
    await again.close();
    expect(ids(open(1000, 7, 10_000).last(2))).to.deep.equal([200, 201]);
  });

  it('keeps a bounded disk with short lines too, past --history-max', async () => {
    const h = HistoryFile.open({ dir, days: 7, max: 50, segmentBytes: 4096, clock, log: memoryLogger() });
    for (let id = 1; id <= 3000; id++) {
      h.record(line(id));
      if (id % 100 === 0) await h.flush();
    }
    await h.flush();
    expect(ids(h.last(50))[0]).to.equal(2951);
    expect(onDisk(), 'about 50 lines and a segment').to.be.below(50 * 60 + 4096 + 60);
    await h.close();
  });

  it('at start, rewrites a day file of mostly forgotten lines (from before segments) to the lines kept', async () => {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'history-2026-12-02.jsonl');
    // Written by an older server, which kept a whole day in one file: 3,000 lines of 1,000 characters.
    const rows: string[] = [];
    for (let id = 1; id <= 3000; id++) rows.push(JSON.stringify(line(id, 'y'.repeat(1000))));
    writeFileSync(file, `${rows.join('\n')}\n`);
    const h = open(1000, 7, 10_000);
    const kept = ids(h.last(1000));
    expect(kept.at(-1)).to.equal(3000);
    expect(kept.length).to.be.within(9, 10);
    expect(statSync(file).size, 'rewritten to the kept lines').to.be.below(11_000);
    expect(logs.some((l) => l.startsWith('INFO History: rewrote history-2026-12-02.jsonl to the'))).to.equal(true);
    h.record(line(3001));
    const now = ids(h.last(1000));
    await h.close();
    expect(ids(open(1000, 7, 10_000).last(1000))).to.deep.equal(now);
  });

  it('says in words why a line could not be written, and writes the next ones once it can', async () => {
    const h = open();
    const file = join(dir, 'history-2026-12-02.jsonl');
    mkdirSync(file); // what appending fails on, even as root
    h.record(line(1));
    clock.advance(100);
    await h.flush();
    expect(logs.filter((l) => l.startsWith('ERROR'))).to.deep.equal(['ERROR History: could not write history-2026-12-02.jsonl: it is a folder']);
    rmSync(file, { recursive: true });
    h.record(line(2));
    await h.close();
    expect(ids(open().last(10))).to.deep.equal([2]);
  });

  it('starts despite a file it cannot read or a line far too long, with a warning for each', async () => {
    mkdirSync(join(dir, 'history-2026-12-01.jsonl'), { recursive: true }); // no file at all: a folder
    const file = join(dir, 'history-2026-12-02.jsonl');
    writeFileSync(file, `${JSON.stringify(line(1))}\n{"id":2,"text":"${'z'.repeat(2 * 1024 * 1024)}"}\n${JSON.stringify(line(3))}\n`);
    const h = open();
    expect(ids(h.last(10))).to.deep.equal([1, 3]);
    expect(logs).to.include('WARN History: skipped history-2026-12-01.jsonl, which could not be read: it is a folder');
    expect(logs).to.include('WARN History: skipped an oversized line in history-2026-12-02.jsonl (line 2)');
    h.record(line(4));
    await h.close();
    expect(ids(open().last(10))).to.deep.equal([1, 3, 4]);
  });

  it('warns once for a file of many damaged lines', async () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'history-2026-12-02.jsonl'), `${'junk\n'.repeat(500)}${JSON.stringify(line(1))}\n`);
    const h = open();
    expect(ids(h.last(10))).to.deep.equal([1]);
    expect(logs.filter((l) => l.startsWith('WARN'))).to.deep.equal(['WARN History: skipped 500 damaged or oversized lines in history-2026-12-02.jsonl (the first at line 1)']);
    await h.close();
  });
});
