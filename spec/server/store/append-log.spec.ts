/**
 * AppendLog with a fake clock and real files: one batch per 100 ms (or per 256 KiB), each line's
 * promise resolved once its batch is on disk, and a torn tail closed before new lines.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendLog } from '../../../server/store/append-log.js';
import { FakeClock } from '../../support/fake-clock.js';

describe('AppendLog (real files, fake clock)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-append-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gathers lines for 100 ms, writes them in one batch, and resolves each once it is on disk', async () => {
    const clock = new FakeClock();
    const log = new AppendLog({ clock });
    const file = join(dir, 'a.jsonl');
    const done: number[] = [];
    const lines = [1, 2, 3].map((n) => log.append(file, `line ${n}`).then(() => done.push(n)));
    clock.advance(99);
    await new Promise((r) => setImmediate(r));
    expect(done, 'nothing before 100 ms').to.deep.equal([]);
    clock.advance(1);
    await Promise.all(lines);
    expect(done).to.deep.equal([1, 2, 3]);
    expect(readFileSync(file, 'utf8')).to.equal('line 1\nline 2\nline 3\n');
    await log.close();
  });

  it('writes at once when a batch reaches its size', async () => {
    const clock = new FakeClock();
    const log = new AppendLog({ clock, batchBytes: 10 });
    const file = join(dir, 'b.jsonl');
    await log.append(file, 'x'.repeat(20)); // no clock advance needed
    expect(readFileSync(file, 'utf8')).to.equal(`${'x'.repeat(20)}\n`);
    await log.close();
  });

  it('starts a new line after a torn last line, so both stay readable', async () => {
    const file = join(dir, 'c.jsonl');
    writeFileSync(file, '{"whole":1}\n{"torn":');
    const log = new AppendLog({ clock: new FakeClock() });
    const p = log.append(file, '{"new":2}');
    await log.flush();
    await p;
    expect(readFileSync(file, 'utf8')).to.equal('{"whole":1}\n{"torn":\n{"new":2}\n');
    await log.close();
  });
});
