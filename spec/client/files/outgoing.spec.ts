/**
 * The sender's side of a file transfer (client/files/outgoing.ts): a real file in a temp folder,
 * a fake clock, and a recording send.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Outgoing } from '../../../client/files/outgoing.js';
import { NO_PROGRESS } from '../../../client/files/progress.js';
import { MAX_CHUNKS_IN_FLIGHT, type ClientMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { waitUntil } from '../../support/wait.js';

describe('client/files/outgoing', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chat-outgoing-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps at most MAX_CHUNKS_IN_FLIGHT chunks unacknowledged, however small (the server cuts off more)', async () => {
    const path = join(dir, 'f.bin');
    writeFileSync(path, Buffer.alloc(200 * 10, 7));
    const sent: ClientMessage[] = [];
    const failed: string[] = [];
    // 10-byte chunks (a small --max-body) in a window of 1 MiB: the window alone would allow all 200.
    const plan = { id: 'f1', to: 'bob', path, name: 'f.bin', size: 2000, chunk: 10, window: 1024 * 1024, rate: 1024 * 1024, sealer: null };
    const out = new Outgoing(plan, { clock: new FakeClock(), send: (m) => sent.push(m) > 0, progress: NO_PROGRESS, failed: (w) => failed.push(w) });
    await out.start();
    await waitUntil(() => sent.length === MAX_CHUNKS_IN_FLIGHT, 'the first chunks');
    await new Promise((r) => setImmediate(r));
    expect(sent).to.have.length(MAX_CHUNKS_IN_FLIGHT);
    out.ack(9); // ten acknowledged: ten more may go
    await waitUntil(() => sent.length === MAX_CHUNKS_IN_FLIGHT + 10, 'ten more chunks');
    await new Promise((r) => setImmediate(r));
    expect(sent).to.have.length(MAX_CHUNKS_IN_FLIGHT + 10);
    expect(failed).to.deep.equal([]);
    out.close();
  });
});
