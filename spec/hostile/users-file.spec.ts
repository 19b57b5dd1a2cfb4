/**
 * The users file under stress: racing registrations, a second server, damaged files, stale locks
 * and kill -9 of the real server process.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { breakStaleLock, startTime } from '../../server/store/lock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { tryLogin } from './support.js';
import { accountsOnDisk } from '../support/accounts.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));

/** The built server as a child process; resolves once it prints its ready line. */
function spawnServer(db: string, dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [MAIN, '--port', '0', '--udp-port', '0', '--db', db, '--log', join(dir, 'server.log'), '--bcrypt-cost', '4', '--data-dir', join(dir, 'data')],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

/** Runs the built server expecting it to refuse to start; returns its stderr. */
function refusedStart(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', '--udp-port', '0', '--log', '', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('hostile: users file', function () {
  this.timeout(20_000);
  let dir: string;
  let srv: Running | null = null;
  const children: ChildProcess[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-users-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    }
    await srv?.stop();
    srv = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets exactly one of several registrations of one name win', async () => {
    srv = await startServer({ db: join(dir, 'users.json') });
    const clients = await Promise.all([0, 1, 2, 3, 4].map(() => TestClient.connect(srv!.port)));
    const replies = await Promise.all(clients.map((c, i) => tryLogin(c, 'dup', `pw${i}`)));
    const winners = replies.flatMap((r, i) => (r.type === 'login_ok' && r.created ? [i] : []));
    expect(winners, JSON.stringify(replies)).to.have.length(1);
    expect(replies.filter((r) => r.type === 'login_ok')).to.have.length(1);
    // The losers are told the name is in use (registered, or its new owner online), or that
    // their password is not the winner's: nothing else.
    const codes = replies.flatMap((r) => (r.type === 'error' ? [r.code] : []));
    expect(codes).to.have.length(4);
    for (const code of codes) expect(['NAME_IN_USE', 'BAD_PASSWORD']).to.include(code);
    const users = accountsOnDisk(join(dir, 'users.json'));
    expect(users.map((u: { name: string }) => u.name)).to.deep.equal(['dup']);
    clients[winners[0]!]!.send({ type: 'logout' });
    await clients[winners[0]!]!.whenClosed();
    expect((await TestClient.login(srv.port, 'dup', `pw${winners[0]}`)).me.user).to.equal('dup');
  });

  it('answers STORE_FAILED when the account cannot be written, keeps nothing half-made, and serves on', async () => {
    const db = join(dir, 'users.json');
    srv = await startServer({ db });
    // Something in the way of the journal (a full or broken disk, as root can't be denied): a
    // folder where the store appends registrations.
    mkdirSync(join(dir, 'users.json.journal'));
    const c = await TestClient.connect(srv.port);
    expect(await tryLogin(c, 'alice', 'pw')).to.deep.include({ code: 'STORE_FAILED' });
    expect(srv.logs).to.include(`ERROR Could not save account alice: cannot write users journal ${db}.journal: it is a folder`);
    expect(JSON.parse(readFileSync(db, 'utf8')).users).to.deep.equal([]);
    // Once the way is clear, the same name registers: the failed attempt left no trace.
    rmSync(join(dir, 'users.json.journal'), { recursive: true });
    const again = await tryLogin(c, 'alice', 'pw');
    expect(again).to.include({ type: 'login_ok', created: true });
    expect(accountsOnDisk(db).map((u) => u.name)).to.deep.equal(['alice']);
  });

  it('refuses a second server on the same users file, naming it and the lock', async () => {
    const db = join(dir, 'users.json');
    srv = await startServer({ db });
    const { code, stderr } = await refusedStart(['--db', db]);
    expect(code).to.equal(1);
    expect(stderr.trim().split('\n')).to.deep.equal([
      `chat-server: users file ${db} is in use by another server (pid ${process.pid}; lock file ${db}.lock)`,
    ]);
    // The first server is unaffected.
    expect((await TestClient.login(srv.port, 'alice')).me.created).to.equal(true);
  });

  const damaged: [string, string, RegExp][] = [
    ['empty', '', /is empty/],
    ['blank', '  \n', /is empty/],
    ['truncated', '{"users":[{"name":"alice","hash":"$2b$04$abc', /is not valid JSON \(truncated\?\)/],
    ['not JSON', 'hello, world', /is not valid JSON/],
    ['a JSON array', '[]', /does not hold a "users" list/],
    ['JSON null', 'null', /does not hold a "users" list/],
    ['accounts without hashes', '{"users":[{"name":"alice"}]}', /does not hold a "users" list/],
  ];
  for (const [what, content, problem] of damaged) {
    it(`refuses to start on a users file that is ${what}, and leaves it untouched`, async () => {
      const db = join(dir, 'users.json');
      writeFileSync(db, content);
      const before = readFileSync(db);
      const started = startServer({ db });
      const error: Error = await started.then(
        (s) => {
          srv = s;
          throw new Error('server started');
        },
        (e: Error) => e,
      );
      expect(error.message).to.include(db).and.match(problem);
      expect(readFileSync(db).equals(before), 'file unchanged').to.equal(true);
      expect(existsSync(`${db}.lock`), 'lock released').to.equal(false);
    });
  }

  it('says the same in one line from the command line', async () => {
    const db = join(dir, 'users.json');
    writeFileSync(db, '{"users":[');
    const { code, stderr } = await refusedStart(['--db', db]);
    expect(code).to.equal(1);
    expect(stderr.trim().split('\n')).to.deep.equal([
      `chat-server: users file ${db} is not valid JSON (truncated?); restore it from a backup`,
    ]);
    expect(readFileSync(db, 'utf8')).to.equal('{"users":[');
  });

  it('takes over a lock left by a dead process or garbled by a crash', async () => {
    const db = join(dir, 'users.json');
    const dead = spawn(process.execPath, ['-e', '']);
    await exited(dead);
    for (const stale of [String(dead.pid), '', 'garbage']) {
      writeFileSync(`${db}.lock`, stale);
      srv = await startServer({ db });
      expect(readFileSync(`${db}.lock`, 'utf8')).to.equal(`${process.pid} ${startTime(process.pid)}`);
      await srv.stop();
      expect(existsSync(`${db}.lock`), 'released on stop').to.equal(false);
      srv = null;
    }
  });

  it('takes over a lock naming a reused pid: its own (a container restarted after kill -9), or a live process started at another time', async () => {
    const db = join(dir, 'users.json');
    const parent = process.ppid;
    for (const stale of [String(process.pid), `${process.pid} 12345`, `${parent} 1`]) {
      writeFileSync(`${db}.lock`, stale);
      srv = await startServer({ db });
      expect(readFileSync(`${db}.lock`, 'utf8'), stale).to.equal(`${process.pid} ${startTime(process.pid)}`);
      await srv.stop();
      srv = null;
    }
    // The same live process, started when the lock says: in use.
    writeFileSync(`${db}.lock`, `${parent} ${startTime(parent)}`);
    const refused = await startServer({ db }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(refused).to.equal(`users file ${db} is in use by another server (pid ${parent}; lock file ${db}.lock)`);
  });

  it('breaks a stale lock only if it is still the one judged stale, and leaves nothing aside', async () => {
    const lock = join(dir, 'users.json.lock');
    const dead = spawn(process.execPath, ['-e', '']);
    await exited(dead);
    const leftovers = () => readdirSync(dir).filter((f) => f.includes('.lock.'));
    writeFileSync(lock, String(dead.pid));
    breakStaleLock(lock, String(dead.pid));
    expect(existsSync(lock), 'stale lock removed').to.equal(false);
    // Another server broke the stale lock and took it between our look and our rename: its lock
    // must survive our attempt.
    writeFileSync(lock, String(process.pid));
    breakStaleLock(lock, String(dead.pid));
    expect(readFileSync(lock, 'utf8')).to.equal(String(process.pid));
    breakStaleLock(join(dir, 'none.lock'), String(dead.pid)); // already gone: nothing to do
    expect(leftovers()).to.deep.equal([]);
  });

  it('keeps every acknowledged account through kill -9, and a new server starts on the file', async () => {
    const db = join(dir, 'users.json');
    // A big file makes each write take a while, so the kill lands during writes.
    const existing = Array.from({ length: 50_000 }, (_, i) => ({ name: `old${i}`, hash: `$2b$04$${'x'.repeat(53)}`, created: '' }));
    writeFileSync(db, JSON.stringify({ users: existing }));
    const first = await spawnServer(db, dir);
    children.push(first.child);
    const names = Array.from({ length: 12 }, (_, i) => `user${i}`);
    const clients = await Promise.all(names.map(() => TestClient.connect(first.port)));
    const acked: string[] = [];
    // Kill the moment 6 are acknowledged: later registrations may be mid-write.
    const killed = new Promise<void>((resolve) => {
      clients.forEach((c, i) => {
        void tryLogin(c, names[i]!, `pw-${names[i]}`)
          .then((reply) => {
            if (reply.type !== 'login_ok' || first.child.signalCode) return;
            acked.push(names[i]!);
            if (acked.length === 6) {
              first.child.kill('SIGKILL');
              resolve();
            }
          })
          .catch(() => undefined);
      });
    });
    await killed;
    await exited(first.child);
    const snapshot = [...acked];
    const saved = accountsOnDisk(db).map((u) => u.name);
    expect(saved).to.include.members(snapshot);
    expect(saved).to.have.length.of.at.least(50_000 + snapshot.length);
    const second = await spawnServer(db, dir);
    children.push(second.child);
    for (const name of snapshot) {
      const c = await TestClient.connect(second.port);
      expect(await tryLogin(c, name, `pw-${name}`), name).to.include({ type: 'login_ok', created: false });
      c.close();
    }
  });
});
