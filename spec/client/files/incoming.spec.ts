/**
 * A file being received (client/files/incoming.ts), as far as the disk shows it: the temporary
 * file a receiver keeps fresh, and the tidying that removes only the ones nobody writes.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Incoming, PART_DEAD_MS, PART_TOUCH_MS, removeDeadParts } from '../../../client/files/incoming.js';
import { NO_PROGRESS } from '../../../client/files/progress.js';
import { FakeClock } from '../../support/fake-clock.js';
import { waitUntil } from '../../support/wait.js';

describe('client/files/incoming: temporary files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-incoming-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A file in `dir` last modified `ageMs` before `now`. */
  const file = (name: string, now: number, ageMs: number) => {
    writeFileSync(join(dir, name), 'x');
    const then = new Date(now - ageMs);
    utimesSync(join(dir, name), then, then);
  };

  it('removes the temporary files untouched for longer than a receiver lets its own go, and nothing else', async () => {
    const now = Date.now();
    file('.tinychat-dead_id-0123abcd.part', now, PART_DEAD_MS + 1000);
    file('.tinychat-live-id-89abcdef.part', now, PART_DEAD_MS - 60_000);
    file('report.pdf.part', now, 10 * PART_DEAD_MS); // not ours
    file('.tinychat-x.txt', now, 10 * PART_DEAD_MS);
    mkdirSync(join(dir, '.tinychat-folder-00000000.part'));
    await removeDeadParts(dir, now);
    expect(readdirSync(dir).sort()).to.deep.equal(['.tinychat-folder-00000000.part', '.tinychat-live-id-89abcdef.part', '.tinychat-x.txt', 'report.pdf.part']);
    await removeDeadParts(join(dir, 'missing'), now); // no folder yet: nothing to do
  });

  it('a receiver touches its temporary file while nothing arrives, so it is never taken for dead, and stops once done', async () => {
    const clock = new FakeClock(Date.now());
    const incoming = new Incoming(
      { from: 'alice', id: 'slow', size: 10, sha256: createHash('sha256').update('0123456789').digest(), name: 'n.txt', dir, opener: null },
      { clock, send: () => true, progress: NO_PROGRESS, finished: () => {} },
    );
    await incoming.open();
    const [part] = readdirSync(dir);
    const path = join(dir, part!);
    const old = new Date(clock.now() - PART_DEAD_MS - 1000);
    utimesSync(path, old, old);
    clock.advance(PART_TOUCH_MS);
    await waitUntil(() => statSync(path).mtimeMs >= clock.now() - 1000, 'the touch');
    await removeDeadParts(dir, clock.now());
    expect(readdirSync(dir)).to.deep.equal([part]);
    incoming.abort();
    await incoming.settled();
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('leaves no temporary file, and touches none, when aborted while the file was being made', async () => {
    const clock = new FakeClock(Date.now());
    const incoming = new Incoming(
      { from: 'alice', id: 'gone', size: 10, sha256: createHash('sha256').update('0123456789').digest(), name: 'n.txt', dir, opener: null },
      { clock, send: () => true, progress: NO_PROGRESS, finished: () => {} },
    );
    const opening = incoming.open();
    incoming.abort(); // a /cancel, or the connection lost, before the file exists
    await opening;
    await incoming.settled();
    expect(readdirSync(dir)).to.deep.equal([]);
    expect(clock.pending(), 'no touch timer left').to.equal(0);
  });
});
