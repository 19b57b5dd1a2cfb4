/**
 * The ops endpoint's bounds (server/ops-http.ts): /metrics built at most once a second however
 * often it is asked for, answers spaced (both on a fake clock), and, on the real binary under a low open-file limit, a cap
 * on its connections that leaves the chat the descriptors it said it would accept.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPS_ANSWERS_PER_SECOND, OPS_MAX_CONNECTIONS, Pace, SCRAPE_REUSE_MS, reusedScrape, startOps } from '../../server/ops-http.js';
import { FakeClock } from '../support/fake-clock.js';
import { TestClient } from '../support/harness.js';
import { killAll, Proc } from '../support/proc.js';
import { waitUntil } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));

describe('the ops endpoint', () => {
  describe('/metrics, reused', () => {
    it('is built once for the requests of one second, in flight or answered, and again after', async () => {
      const clock = new FakeClock();
      let built = 0;
      const scrape = reusedScrape(async () => ({ contentType: 'text/plain', text: `scrape ${++built}` }), clock);
      const [a, b] = await Promise.all([scrape(), scrape()]);
      clock.advance(SCRAPE_REUSE_MS - 1);
      const c = await scrape();
      expect([a.text, b.text, c.text]).to.deep.equal(['scrape 1', 'scrape 1', 'scrape 1']);
      clock.advance(1);
      expect((await scrape()).text).to.equal('scrape 2');
    });

    it('keeps no failed scrape: the next request tries again', async () => {
      const clock = new FakeClock();
      let calls = 0;
      const scrape = reusedScrape(async () => {
        if (++calls === 1) throw new Error('registry broke');
        return { contentType: 'text/plain', text: 'fine' };
      }, clock);
      await scrape().then(
        () => expect.fail('the first scrape fails'),
        (e: Error) => expect(e.message).to.equal('registry broke'),
      );
      expect((await scrape()).text).to.equal('fine');
    });
  });

  describe('answers, paced', () => {
    it(`lets ${OPS_ANSWERS_PER_SECOND} a second through, each in its turn; a quiet endpoint answers at once`, () => {
      const clock = new FakeClock();
      const pace = new Pace(clock);
      const gap = 1000 / OPS_ANSWERS_PER_SECOND;
      const answered: number[] = [];
      for (let i = 0; i < 3; i++) pace.turn(() => answered.push(clock.monotonic()));
      expect(answered).to.deep.equal([0]);
      clock.advance(2 * gap);
      expect(answered).to.deep.equal([0, gap, 2 * gap]);
      clock.advance(10 * gap);
      pace.turn(() => answered.push(clock.monotonic()));
      expect(answered).to.deep.equal([0, gap, 2 * gap, 12 * gap]);
    });
  });

  describe('a silent connection', () => {
    it('is closed once it has said nothing for the idle time (it was held 20–30 s whatever the timeouts)', async () => {
      const ops = await startOps('127.0.0.1', 0, { metrics: async () => ({ contentType: 'text/plain', text: '' }), ready: async () => ({ ready: true, problems: [] }) }, { idleMs: 200 });
      try {
        const s = net.connect(ops.port, '127.0.0.1');
        s.on('error', () => {});
        const t0 = Date.now();
        await new Promise((resolve) => s.once('close', resolve));
        expect(Date.now() - t0).to.be.below(3000);
      } finally {
        await ops.close();
      }
    });
  });

  describe('connections (real binary, ulimit -n 100)', function () {
    this.timeout(30_000);
    let dir: string;
    const procs: Proc[] = [];
    const sockets: net.Socket[] = [];
    const clients: TestClient[] = [];
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'chat-ops-'));
    });
    afterEach(async () => {
      sockets.splice(0).forEach((s) => s.destroy());
      clients.splice(0).forEach((c) => c.close());
      await killAll(procs);
      rmSync(dir, { recursive: true, force: true });
    });

    it(`holds at most ${OPS_MAX_CONNECTIONS}; the chat still greets every connection it said it accepts, and refuses the next in words`, async () => {
      const log = join(dir, 'server.log');
      const args = `--port 0 --udp-port 0 --metrics-port 0 --db "${join(dir, 'users.json')}" --log "${log}" --bcrypt-cost 4 --hash-threads 1`;
      const p = new Proc(spawn('sh', ['-c', `ulimit -n 100 && exec "${process.execPath}" "${MAIN}" ${args}`], { stdio: 'pipe', cwd: dir }));
      procs.push(p);
      const port = Number((await p.line(/^Server listening on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const opsPort = Number((await p.line(/^Metrics on http:\/\/127\.0\.0\.1:(\d+)\//))[1]);
      const said = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').match(/allows about (\d+) connections/);
      await waitUntil(() => said() !== null, 'the open-file note in the log');
      const room = Number(said()![1]);

      // More idle ops connections than the process has descriptors.
      let closed = 0;
      for (let i = 0; i < 100; i++) {
        const s = net.connect(opsPort, '127.0.0.1');
        s.on('error', () => {});
        s.on('close', () => closed++);
        sockets.push(s);
      }
      await waitUntil(() => closed >= 100 - OPS_MAX_CONNECTIONS, `all but ${OPS_MAX_CONNECTIONS} ops connections closed by the server`);
      expect(closed).to.equal(100 - OPS_MAX_CONNECTIONS);

      for (let i = 0; i < room; i++) {
        const c = await TestClient.connect(port);
        clients.push(c);
        expect(await c.next((m) => m.type === 'hello'), `chat connection ${i} of ${room}`).to.include({ type: 'hello' });
      }
      const extra = await TestClient.connect(port);
      clients.push(extra);
      expect(await extra.error()).to.include({ code: 'TOO_MANY_CONNECTIONS' });
    });
  });
});
