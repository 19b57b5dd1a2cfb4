/**
 * The password hasher: bcrypt on worker threads at the lowest CPU priority (Linux), so a login storm
 * cannot take a core away from the chat.
 */
import { expect } from 'chai';
import bcrypt from 'bcryptjs';
import { readFileSync, readdirSync } from 'node:fs';
import { HashAbandoned, HasherBusy, JOBS_PER_THREAD, createHasher, type Hasher } from '../../../server/store/hasher.js';
import { Worker } from 'node:worker_threads';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
// Loaded here on the main thread without a nice value to take: it must not lower this thread.
import '../../../server/store/hash-worker.cjs';

/** Nice value of every thread of this process, from /proc. */
function niceByThread(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    const fields = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    out.set(Number(tid), Number(fields[16])); // field 19 of stat: nice
  }
  return out;
}

describe('hasher', () => {
  let hasher: Hasher;
  before(() => {
    hasher = createHasher(1, 10);
  });
  after(async () => hasher.close());

  it('hashes and compares with bcrypt', async () => {
    const hash = await hasher.hash('correct horse', 4);
    expect(bcrypt.compareSync('correct horse', hash)).to.equal(true);
    expect(await hasher.compare('correct horse', hash)).to.equal(true);
    expect(await hasher.compare('wrong horse', hash)).to.equal(false);
  });

  it('runs the hashing thread at the lowest priority and leaves the main thread alone, even when the main thread loads the job', async () => {
    await hasher.hash('x', 4);
    const after = niceByThread();
    expect(after.get(process.pid), 'main thread').to.equal(0);
    const lowered = [...after].filter(([, nice]) => nice === 19);
    expect(lowered, JSON.stringify([...after])).to.have.length.greaterThan(0);
  });

  it('leaves another worker thread that loads the job without a nice value at its priority', async () => {
    // As a bench worker that imports modules which import the job did: it ran at nice 19.
    const job = new URL('../../../server/store/hash-worker.cjs', import.meta.url).href;
    const code = `import(${JSON.stringify(job)}).then(() => require('node:worker_threads').parentPort.postMessage(
      Number(require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ')[16])))`;
    const worker = new Worker(code, { eval: true });
    try {
      expect(await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject))).to.equal(0);
    } finally {
      await worker.terminate();
    }
  });

  it('gives piscina a job that require() loads as CommonJS, not through require(esm), which aborted Node 20 twice', () => {
    // With require(esm) turned off, an ES module's job fails to load (ERR_REQUIRE_ESM).
    const job = fileURLToPath(new URL('../../../server/store/hash-worker.cjs', import.meta.url));
    const loaded = spawnSync(process.execPath, ['--no-experimental-require-module', '-e', `process.stdout.write(typeof require(${JSON.stringify(job)}))`], { encoding: 'utf8' });
    expect([loaded.stderr, loaded.stdout]).to.deep.equal(['', 'function']);
  });

  it('skips a job whose asker has gone by the time its turn comes, and runs the next one in line', async () => {
    const hash = await hasher.hash('pw', 4);
    const before = hasher.completed;
    // One thread: the first jobs go to it (the one it runs and those next in its queue), the
    // other two wait in line behind them.
    const first = Array.from({ length: JOBS_PER_THREAD }, () => hasher.compare('pw', hash));
    let gone = false;
    // Its outcome is taken at once: it is refused while the first jobs still run.
    const abandoned = hasher.compare('pw', hash, () => !gone).then(
      () => 'ran',
      (e: unknown) => (e instanceof HashAbandoned ? 'abandoned' : String(e)),
    );
    const next = hasher.compare('pw', hash, () => true);
    gone = true; // this asker's connection closes while it waits
    expect(await Promise.all(first)).to.deep.equal(first.map(() => true));
    expect(await abandoned).to.equal('abandoned');
    expect(await next).to.equal(true);
    expect(hasher.completed - before).to.equal(JOBS_PER_THREAD + 1); // the abandoned job never reached a thread
  });

  it('refuses jobs beyond the threads and the queue at once, and takes them again once there is room', async () => {
    const small = createHasher(1, 1);
    try {
      const hash = await small.hash('pw', 4);
      const running = small.compare('pw', hash);
      const queued = small.compare('pw', hash);
      const refused = await small.compare('pw', hash).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(HasherBusy);
      expect([await running, await queued]).to.deep.equal([true, true]);
      expect(await small.compare('nope', hash)).to.equal(false);
    } finally {
      await small.close();
    }
  });
});
