/**
 * Replies bigger than --max-output, against the real server (real TCP, real files): what the
 * server itself chose to send (the messages kept for a login, a catch-up after a restart, a
 * /history page) must not make a client that reads at full speed look like a slow reader, and a
 * kept message must never be lost. The test clients share the server's process: while the server
 * writes in one turn they cannot read at all, so a reply written in one go shows at once.
 */
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerMessage } from '../../../common/protocol.js';
import type { ServerConfig } from '../../../server/config.js';
import { LOGIN_WAIT_MS, startServer, TestClient, type Running } from '../../support/harness.js';

type Msg = ServerMessage<'msg'>;

/** Near --max-body (64 KiB): the biggest lines there are. */
const BIG = 60_000;
/** Kept messages: 24 MB, far over --max-output (1 MiB) and what the kernel buffers on loopback. */
const KEPT = 400;

describe('bulk replies over --max-output (real server, real files)', function () {
  this.timeout(60_000);
  let srv: Running;
  const earlier: Running[] = [];
  const clients: TestClient[] = [];
  const login = async (name: string) => {
    const c = await TestClient.login(srv.port, name);
    clients.push(c);
    return c;
  };
  const offline = (c: TestClient) => c.all('msg').filter((m) => m.offline === true);
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv?.stop();
    for (const s of earlier.splice(0)) await s.stop();
  });

  /** A server on whose disk KEPT big messages (ids 1…KEPT, from 16 senders) wait for dave. */
  const withKept = async (config: Partial<ServerConfig> = {}) => {
    srv = await startServer({ offlineMax: KEPT, ...config });
    const dave = await login('dave');
    dave.send({ type: 'logout' });
    await dave.whenClosed();
    await srv.server.stop();
    earlier.push(srv);
    const data = join(srv.dir, 'data');
    mkdirSync(data, { recursive: true });
    const now = Date.now();
    const rows = Array.from({ length: KEPT }, (_, i) => {
      const id = i + 1;
      return JSON.stringify({ op: 'put', user: 'dave', id, ts: now, from: `s${id % 16}`, to: 'dave', text: `#${id} ${'k'.repeat(BIG)}` });
    });
    writeFileSync(join(data, 'offline.jsonl'), rows.map((r) => `${r}\n`).join(''));
    srv = await startServer({ db: srv.db, dataDir: data, offlineMax: KEPT, ...config });
  };
  const ids = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('hands 24 MB of kept messages to a login reading at full speed, all of them, in order, and keeps it connected', async () => {
    await withKept();
    const dave = await login('dave');
    await dave.next((m) => m.type === 'msg' && m.id === KEPT, 30_000);
    expect(offline(dave).map((m) => m.id)).to.deep.equal(ids(KEPT));
    await dave.sync();
    expect(dave.closed, 'not cut off as a slow reader').to.equal(false);
    dave.send({ type: 'logout' });
    await dave.whenClosed();
    const again = await login('dave');
    await again.sync();
    expect(offline(again), 'each delivered once').to.deep.equal([]);
  });

  it('leaves what a connection lost mid-delivery had not taken for its next login (here a resume with the password)', async () => {
    await withKept();
    const first = await TestClient.connect(srv.port);
    clients.push(first);
    first.send({ type: 'login', user: 'dave', password: 'pw' });
    await first.next((m) => m.type === 'msg' && m.id === 20, 30_000);
    first.close();
    const second = await login('dave');
    await second.next((m) => m.type === 'msg' && m.id === KEPT, 30_000);
    const read = offline(first).map((m) => m.id);
    const rest = offline(second).map((m) => m.id);
    expect(read.slice(0, 20)).to.deep.equal(ids(20));
    // What the first connection's socket had taken is gone with it (as any line written to a
    // connection that dies); from the first batch it had not taken, all come at the next login.
    expect(rest[0], 'the batches taken before id 20 was sent are not sent again').to.be.above(16);
    expect(rest).to.deep.equal(ids(KEPT).slice(rest[0]! - 1));
    expect(srv.logs.some((l) => /Offline messages: delivery to dave stopped after \d+ of 400; the rest wait for the next login or resume/.test(l))).to.equal(true);
  });

  describe('with 300 big lines in the history (18 MB)', () => {
    const LINES = 300;
    let said: Msg[];
    beforeEach(async () => {
      srv = await startServer({ rateCount: 10_000, historyOnJoin: 5 });
      const alice = await login('alice');
      for (let i = 1; i <= LINES; i++) {
        alice.send({ type: 'say', text: `#${i} ${'h'.repeat(BIG)}` });
        if (i % 20 === 0) await alice.sync();
      }
      said = alice.all('msg');
      expect(said).to.have.length(LINES);
    });

    it('answers /history 200 with a page bounded by its text, saying there is more, and pages back to the start', async () => {
      const bob = await login('bob');
      await bob.notice('live');
      const pages: number[] = [];
      let before: number | undefined;
      for (;;) {
        const n = bob.all('msg').length;
        const end = (await bob.request({ type: 'history', count: 200, ...(before !== undefined ? { before } : {}) }, (m) => m.type === 'notice' && m.event === 'history')) as ServerMessage<'notice'>;
        const page = bob.all('msg').slice(n);
        if (page.length === 0) break;
        pages.push(page.length);
        before = page[0]!.id;
        expect(page.reduce((size, m) => size + m.text.length, 0), 'a page holds at most 256 Ki characters').to.be.at.most(256 * 1024);
        expect(end.message).to.equal(page[0]!.id === said[0]!.id ? `${page.length} older lines above; nothing older.` : `${page.length} older lines above; /history for more.`);
      }
      expect(pages[0]).to.equal(4);
      const paged = bob.all('msg').slice(5).reverse();
      expect(new Set(paged.map((m) => m.id)).size, 'every line once').to.equal(LINES);
      expect(bob.closed).to.equal(false);
    });

    it('replays a catch-up of all 300 lines to a login that says what it saw last, then the live marker, connected', async () => {
      const before = await login('bob'); // the account exists: a new one has nothing to catch up on
      before.send({ type: 'logout' });
      await before.whenClosed();
      const bob = await TestClient.connect(srv.port);
      clients.push(bob);
      bob.send({ type: 'login', user: 'bob', password: 'pw', since: said[0]!.id - 1 });
      const live = await bob.next<ServerMessage<'notice'>>((m) => m.type === 'notice' && m.event === 'live', LOGIN_WAIT_MS);
      expect(live.message).to.equal('Above: the 300 lines you missed. Live chat from here.');
      expect(bob.all('msg').map((m) => m.id)).to.deep.equal(said.map((m) => m.id));
      await bob.sync();
      expect(bob.closed).to.equal(false);
    });
  });
});
