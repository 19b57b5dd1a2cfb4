/**
 * The offline mailbox file, for real in a temp folder, with a fake clock: a kept message is on
 * disk when put() resolves and survives a restart; taken messages stay taken, the rest stay;
 * what each sender has waiting is counted; old ones expire; a file of mostly dead records is
 * compacted, at start and while running, with what is put meanwhile durable, in order, in the new
 * file.
 */
import { expect } from 'chai';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kept } from '../../../server/chat/history.js';
import { memoryLogger } from '../../../server/logger.js';
import { MailboxFile } from '../../../server/store/mailbox-file.js';
import { FakeClock } from '../../support/fake-clock.js';

const DAY = 24 * 60 * 60 * 1000;

describe('MailboxFile (real files, fake clock)', () => {
  let dir: string;
  let clock: FakeClock;
  let logs: string[];
  const open = (days = 7, compactSlack?: number) => {
    const log = memoryLogger();
    logs = log.lines;
    return MailboxFile.open({ dir, days, clock, log, ...(compactSlack ? { compactSlack } : {}) });
  };
  const message = (id: number, to = 'Bob', text = `hello ${id}`): Kept => ({ id, ts: clock.now(), from: 'alice', to, text });
  const file = () => join(dir, 'offline.jsonl');
  const rows = () => readFileSync(file(), 'utf8').split('\n').filter(Boolean);
  /** put() resolves after a batch is written: let the batch timer fire. */
  const put = async (box: MailboxFile, user: string, m: Kept) => {
    const done = box.put(user, m);
    clock.advance(100);
    await done;
  };

  /** Hands over all that waits for `user`, as a login whose connection took it all does. */
  const take = (box: MailboxFile, user: string): Kept[] => {
    const all = [...box.peek(user)];
    if (all.length > 0) box.taken(user, all.at(-1)!.id);
    return all;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-mailbox-'));
    clock = new FakeClock();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has a message on disk when put() resolves, and keeps it across a restart until taken', async () => {
    const box = open();
    await put(box, 'bob', message(1));
    expect(readFileSync(join(dir, 'offline.jsonl'), 'utf8')).to.include('"text":"hello 1"');
    await put(box, 'bob', message(2));
    await box.close();
    const again = open();
    expect(again.waiting('bob')).to.equal(2);
    expect(again.lastId).to.equal(2);
    expect(logs).to.include('INFO Offline messages opened: 2 waiting for 1 accounts');
    expect(take(again, 'bob').map((m) => m.text)).to.deep.equal(['hello 1', 'hello 2']);
    expect(take(again, 'bob')).to.deep.equal([]);
    await again.close();
    const third = open();
    expect(third.waiting('bob'), 'taken stays taken').to.equal(0);
    await third.close();
  });

  it('forgets only what was taken: a delivery cut off after its first batch leaves the rest, across a restart', async () => {
    const box = open();
    for (let id = 1; id <= 5; id++) await put(box, 'bob', message(id));
    expect(box.peek('bob').map((m) => m.id), 'peeking takes nothing').to.deep.equal([1, 2, 3, 4, 5]);
    box.taken('bob', 2);
    expect(box.peek('bob').map((m) => m.id)).to.deep.equal([3, 4, 5]);
    await box.close();
    const again = open();
    expect(again.peek('bob').map((m) => m.id)).to.deep.equal([3, 4, 5]);
    await again.close();
  });

  it('counts what each sender has waiting for an account', async () => {
    const box = open();
    await put(box, 'bob', message(1));
    await put(box, 'bob', { ...message(2), from: 'carol' });
    await put(box, 'bob', message(3));
    expect([box.waitingFrom('bob', 'alice'), box.waitingFrom('bob', 'carol'), box.waitingFrom('bob', 'dave')]).to.deep.equal([2, 1, 0]);
    await box.close();
  });

  it('counts a message being written toward the cap and its sender\'s share already', async () => {
    const box = open();
    const pending = box.put('bob', message(1));
    expect(box.waiting('bob')).to.equal(1);
    expect(box.waitingFrom('bob', 'alice')).to.equal(1);
    clock.advance(100);
    await pending;
    expect(box.waiting('bob')).to.equal(1);
    expect(box.waitingFrom('bob', 'alice'), 'counted once when written').to.equal(1);
    await box.close();
  });

  it('drops messages that waited longer than --offline-days', async () => {
    const box = open(2);
    await put(box, 'bob', message(1));
    clock.advance(DAY);
    await put(box, 'bob', message(2));
    clock.advance(DAY + 1);
    expect(take(box, 'bob').map((m) => m.id)).to.deep.equal([2]);
    await box.close();
  });

  it('skips a torn last record, and compacts a file of mostly dead records', async () => {
    const box = open();
    for (let id = 1; id <= 150; id++) {
      await put(box, 'bob', message(id));
      take(box, 'bob');
    }
    await put(box, 'carol', message(151, 'Carol'));
    await box.close();
    appendFileSync(join(dir, 'offline.jsonl'), '{"op":"put","us');
    const again = open();
    expect(logs.some((l) => l.includes('skipped 1 torn or damaged line'))).to.equal(true);
    expect(again.waiting('carol')).to.equal(1);
    await again.close(); // waits for the compaction
    const rows = readFileSync(join(dir, 'offline.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(rows, 'compacted to the one live message').to.have.length(1);
  });

  it('compacts while running once the dead records outweigh the live ones (the file grew with all ever sent)', async () => {
    const box = open(7, 4096);
    await put(box, 'carol', message(1, 'Carol'));
    let id = 1;
    for (let cycle = 0; cycle < 10; cycle++) {
      // A mailbox filled and delivered: 20 messages of 500 characters, then a login.
      for (let i = 0; i < 20; i++) await put(box, 'bob', message(++id, 'Bob', 'm'.repeat(500)));
      expect(take(box, 'bob')).to.have.length(20);
    }
    await box.close();
    const oneCycle = 20 * 600;
    // 10 cycles wrote ~120 KB; what waits is one short message, so at most the slack and a cycle remain.
    expect(statSync(file()).size).to.be.below(4096 + oneCycle);
    expect(logs.some((l) => l.startsWith('INFO Offline messages: compacted offline.jsonl from'))).to.equal(true);
    const again = open();
    expect(again.waiting('bob')).to.equal(0);
    expect(take(again, 'carol').map((m) => m.id)).to.deep.equal([1]);
    await again.close();
  });

  it('has a message put during a compaction on disk, in the new file, when put() resolves', async () => {
    const box = open(7, 1000);
    for (let id = 1; id <= 20; id++) await put(box, 'bob', message(id, 'Bob', 'b'.repeat(100)));
    await put(box, 'dave', message(21, 'Dave'));
    const inode = statSync(file()).ino;
    expect(take(box, 'bob')).to.have.length(20); // 20 dead records: the compaction starts
    await put(box, 'carol', message(22, 'Carol'));
    expect(statSync(file()).ino, 'a new file, renamed into place').to.not.equal(inode);
    expect(rows().map((r) => (JSON.parse(r) as { id: number }).id)).to.deep.equal([21, 22]);
    expect(take(box, 'dave').map((m) => m.id)).to.deep.equal([21]);
    await box.close();
    const again = open();
    expect(again.waiting('bob')).to.equal(0);
    expect(again.waiting('dave'), 'taken after the compaction stays taken').to.equal(0);
    expect(take(again, 'carol').map((m) => m.id)).to.deep.equal([22]);
    await again.close();
  });

  it('keeps records made during a compaction in the order they were made', async () => {
    const box = open(7, 1000);
    for (let id = 1; id <= 20; id++) await put(box, 'bob', message(id, 'Bob', 'b'.repeat(100)));
    take(box, 'bob'); // the compaction starts; what follows waits for it
    const puts = [box.put('carol', message(21, 'Carol')), box.put('carol', message(22, 'Carol'))];
    clock.advance(100);
    const taken = take(box, 'carol');
    expect(taken, 'being written: not yet waiting').to.deep.equal([]);
    await Promise.all(puts);
    expect(take(box, 'carol').map((m) => m.id)).to.deep.equal([21, 22]);
    await put(box, 'carol', message(23, 'Carol'));
    await box.close();
    const again = open();
    expect(take(again, 'carol').map((m) => m.id)).to.deep.equal([23]);
    await again.close();
  });
  it('keeps everything when a compaction cannot write: logged, what was put meanwhile durable, and the next compaction works', async () => {
    const box = open(7, 1000);
    for (let id = 1; id <= 20; id++) await put(box, 'bob', message(id, 'Bob', 'b'.repeat(100)));
    await put(box, 'dave', message(21, 'Dave'));
    // The new file cannot be made: a folder where its temporary file goes.
    const temp = join(dir, '.offline.jsonl.tmp');
    mkdirSync(temp);
    expect(take(box, 'bob')).to.have.length(20); // the compaction starts, and fails
    await put(box, 'carol', message(22, 'Carol')); // written after it, to the old file
    expect(logs.filter((l) => l.startsWith('ERROR'))).to.deep.equal([`ERROR Offline messages: could not compact offline.jsonl: it is a folder (${temp})`]);
    expect(rows().filter((r) => r.includes('"op":"put"'))).to.have.length(22);
    expect(box.waiting('dave')).to.equal(1);
    expect(box.waiting('carol')).to.equal(1);
    rmdirSync(temp);
    // Tried again once the file has grown by the slack, not at the next take.
    for (let id = 23; id <= 32; id++) await put(box, 'bob', message(id, 'Bob', 'b'.repeat(100)));
    expect(take(box, 'bob')).to.have.length(10);
    await box.close();
    expect(logs.filter((l) => l.startsWith('INFO Offline messages: compacted'))).to.have.length(1);
    expect(rows().map((r) => (JSON.parse(r) as { id: number }).id)).to.deep.equal([21, 22]);
    const again = open();
    expect(take(again, 'dave').map((m) => m.id)).to.deep.equal([21]);
    expect(take(again, 'carol').map((m) => m.id)).to.deep.equal([22]);
    expect(again.waiting('bob')).to.equal(0);
    await again.close();
  });

  it('refuses to open a file it cannot read, saying what is at stake and what to do, and leaves it as it was', () => {
    mkdirSync(file()); // what reading it fails on, even as root (a file of mode 000 root still reads)
    expect(() => open()).to.throw(
      `cannot read the offline messages file ${file()} (it is a folder): the private messages kept in it would not reach their recipients; make it readable by the server, or move it away to start without them`,
    );
    expect(statSync(file()).isDirectory()).to.equal(true);
  });
});
