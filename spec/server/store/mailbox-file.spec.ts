/**
 * The offline mailbox file, for real in a temp folder, with a fake clock: a kept message is on
 * disk when put() resolves and survives a restart; taken messages stay taken; old ones expire;
 * a file of mostly dead records is compacted.
 */
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  const open = (days = 7) => {
    const log = memoryLogger();
    logs = log.lines;
    return MailboxFile.open({ dir, days, clock, log });
  };
  const message = (id: number, to = 'Bob'): Kept => ({ id, ts: clock.now(), from: 'alice', to, text: `hello ${id}` });
  /** put() resolves after a batch is written: let the batch timer fire. */
  const put = async (box: MailboxFile, user: string, m: Kept) => {
    const done = box.put(user, m);
    clock.advance(100);
    await done;
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
    expect(again.take('bob').map((m) => m.text)).to.deep.equal(['hello 1', 'hello 2']);
    expect(again.take('bob')).to.deep.equal([]);
    await again.close();
    const third = open();
    expect(third.waiting('bob'), 'taken stays taken').to.equal(0);
    await third.close();
  });

  it('counts a message being written toward the cap already', async () => {
    const box = open();
    const pending = box.put('bob', message(1));
    expect(box.waiting('bob')).to.equal(1);
    clock.advance(100);
    await pending;
    expect(box.waiting('bob')).to.equal(1);
    await box.close();
  });

  it('drops messages that waited longer than --offline-days', async () => {
    const box = open(2);
    await put(box, 'bob', message(1));
    clock.advance(DAY);
    await put(box, 'bob', message(2));
    clock.advance(DAY + 1);
    expect(box.take('bob').map((m) => m.id)).to.deep.equal([2]);
    await box.close();
  });

  it('skips a torn last record, and compacts a file of mostly dead records', async () => {
    const box = open();
    for (let id = 1; id <= 150; id++) {
      await put(box, 'bob', message(id));
      box.take('bob');
    }
    await put(box, 'carol', message(151, 'Carol'));
    await box.close();
    appendFileSync(join(dir, 'offline.jsonl'), '{"op":"put","us');
    const again = open();
    expect(logs.some((l) => l.includes('skipped 1 torn or damaged line'))).to.equal(true);
    expect(again.waiting('carol')).to.equal(1);
    const rows = readFileSync(join(dir, 'offline.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(rows, 'compacted to the one live message').to.have.length(1);
    await again.close();
  });
});
