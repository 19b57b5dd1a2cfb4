/**
 * The built server binary as a user runs it: `node dist/server/main.js` with options, its ready
 * line, its console, its errors (one line, exit code 1, no stack trace) and its --help.
 */
import { expect } from 'chai';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));
const READY = /^Server listening on tcp:\/\/127\.0\.0\.1:(\d+) and udp:\/\/127\.0\.0\.1:(\d+)$/;

/** A server process; stdout and stderr are collected line by line. */
class Proc {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    const collect = (into: string[]) => {
      let rest = '';
      return (b: Buffer) => {
        const parts = (rest + b.toString()).split('\n');
        rest = parts.pop()!;
        into.push(...parts);
        this.waiters.splice(0).forEach((w) => w());
      };
    };
    child.stdout.on('data', collect(this.out));
    child.stderr.on('data', collect(this.err));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Waits for a stdout line that matches. */
  async line(re: RegExp, ms = 8000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (const l of this.out) {
        const m = re.exec(l);
        if (m) return m;
      }
      if (this.child.exitCode !== null) throw new Error(`exited ${this.child.exitCode}; stderr: ${this.err.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${re}; stdout: ${this.out.join('\n')}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => (clearTimeout(t), r()));
        this.child.once('exit', () => (clearTimeout(t), r()));
      });
    }
  }

  /** Exit code, after waiting at most `ms`. */
  async exitCode(ms = 8000): Promise<number | null> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error('did not exit')), ms)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(t);
    }
  }
}

describe('chat-server binary', function () {
  this.timeout(20_000);
  let dir: string;
  const procs: Proc[] = [];
  const clients: TestClient[] = [];

  function run(...args: string[]): Proc {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: 'pipe' });
    const p = new Proc(child);
    procs.push(p);
    return p;
  }
  /** A server on free ports with its users file and log in the temp folder. */
  function serve(...extra: string[]): Proc {
    return run('--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'), '--bcrypt-cost', '4', ...extra);
  }
  async function ready(p: Proc): Promise<number> {
    await p.line(/^Server listening/);
    const m = READY.exec(p.out[0]!);
    expect(m, `the first stdout line: ${p.out[0]}`).to.not.equal(null);
    return Number(m![1]);
  }
  async function login(port: number, name: string) {
    const c = await TestClient.login(port, name, 'pw');
    clients.push(c);
    return c;
  }
  /** Failure: exactly one line on stderr, nothing that looks like a stack trace, exit code 1. */
  async function failsWithOneLine(p: Proc): Promise<string> {
    expect(await p.exitCode()).to.equal(1);
    const lines = p.err.filter((l) => l.trim() !== '');
    expect(lines, lines.join('\n')).to.have.length(1);
    expect(lines[0]).to.match(/^chat-server: /);
    expect(lines[0]).to.not.match(/\bat .*:\d+:\d+|Error:/);
    expect(p.out.filter((l) => l.startsWith('Server listening'))).to.deep.equal([]);
    return lines[0]!;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-main-'));
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    for (const p of procs.splice(0)) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the ready line first, with the real ports, and serves on them', async () => {
    const p = serve();
    const port = await ready(p);
    const [, tcp, udp] = READY.exec(p.out[0]!)!;
    expect(Number(tcp)).to.be.greaterThan(0);
    expect(Number(udp)).to.be.greaterThan(0);
    const a = await login(port, 'alice');
    expect(a.me.udpPort).to.equal(Number(udp));
  });

  it('prints the online list on its console whenever someone logs in or out', async () => {
    const p = serve();
    const port = await ready(p);
    const a = await login(port, 'alice');
    await p.line(/^Online users \(1\): alice$/);
    await login(port, 'bob');
    await p.line(/^Online users \(2\): alice, bob$/);
    a.send({ type: 'logout' });
    await p.line(/^Online users \(1\): bob$/);
  });

  it('answers online, stats and help typed on its console', async () => {
    const p = serve();
    const port = await ready(p);
    await login(port, 'alice');
    p.child.stdin.write('stats\nonline\nhelp\n');
    await p.line(/^Active users: 1 \| Open connections: 1 \| Total connections: 1 \| Total messages: 0/);
    await p.line(/^ {2}alice: last heartbeat \d+\.\d s ago$/);
    await p.line(/^Console commands: online, stats, Terminate server, help$/);
  });

  it('--help lists the options and exits 0', async () => {
    const p = run('--help');
    expect(await p.exitCode()).to.equal(0);
    const text = p.out.join('\n');
    const every = ['--host', '--port', '--udp-port', '--db', '--log', '--bcrypt-cost', '--allow-guests', '--max-body', '--pm-timeout'];
    every.push('--rate-count', '--rate-window', '--mute-seconds', '--heartbeat-timeout', '--login-timeout', '--announce-limit');
    every.push('--max-connections', '--max-per-address', '--max-output', '--min-password', '--max-failures', '--hash-threads');
    every.push('--hash-queue', '--tls-cert', '--tls-key', '--help');
    for (const option of every) {
      expect(text, option).to.include(option);
    }
    expect(text).to.include('Terminate server');
  });

  it('a TCP port in use: one line naming it, exit 1, no stack trace', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const p = run('--port', String(port), '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'));
      const line = await failsWithOneLine(p);
      expect(line).to.include(`port already in use: 127.0.0.1:${port}`);
      expect(readdirSync(dir), 'nothing written: no users file, lock or log').to.deep.equal([]);
    } finally {
      blocker.close();
    }
  });

  it('a UDP port in use: one line naming that port, exit 1', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', () => r()));
    try {
      const { port } = blocker.address();
      const p = run('--port', '0', '--udp-port', String(port), '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'));
      const line = await failsWithOneLine(p);
      expect(line).to.include(`port already in use: 127.0.0.1:${port}`);
      expect(line).to.match(/UDP/);
      expect(readdirSync(dir), 'nothing written').to.deep.equal([]);
    } finally {
      blocker.close();
    }
  });

  for (const bad of ['70000', '-1', 'abc', '1.5']) {
    it(`an invalid port (${bad}): one line naming the option, exit 1`, async () => {
      const p = run('--port', bad, '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'));
      const line = await failsWithOneLine(p);
      expect(line).to.match(/invalid --port/);
      expect(line).to.include('use a whole number from 0 to 65535');
      expect(line).to.not.include('NaN');
      expect(existsSync(join(dir, 'users.json')), 'nothing created').to.equal(false);
    });
  }

  const badNumbers: [string, string, string][] = [
    ['--udp-port', '70000', 'invalid --udp-port 70000: use a whole number from 0 to 65535'],
    ['--bcrypt-cost', '32', 'invalid --bcrypt-cost 32: use a whole number from 4 to 31'],
    ['--bcrypt-cost', '3', 'invalid --bcrypt-cost 3: use a whole number from 4 to 31'],
    ['--max-body', 'abc', 'invalid --max-body (not a number): use a whole number of at least 1'],
    ['--hash-threads', '1.5', 'invalid --hash-threads 1.5: use a whole number of at least 1'],
    ['--rate-count', '0', 'invalid --rate-count 0: use a whole number of at least 1'],
    ['--max-output', '100', 'invalid --max-output 100: use a whole number of at least 1024'],
    ['--min-password', '-1', 'invalid --min-password -1: use a whole number of at least 0'],
  ];
  for (const [option, value, message] of badNumbers) {
    it(`${option} ${value}: one line naming the option and the range, exit 1, nothing created`, async () => {
      const p = run(option, value, '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'));
      expect(await failsWithOneLine(p)).to.equal(`chat-server: ${message}`);
      expect(existsSync(join(dir, 'users.json')), 'nothing created').to.equal(false);
    });
  }

  it('an empty --host or --db: one line, exit 1', async () => {
    expect(await failsWithOneLine(run('--host', ' ', '--db', join(dir, 'users.json')))).to.equal('chat-server: invalid --host: empty');
    expect(await failsWithOneLine(run('--db', ''))).to.equal('chat-server: invalid --db: empty');
  });

  it('a repeated option counts once, with its last value', async () => {
    const p = run('--port', '70000', '--port', '0', '--udp-port', '0', '--db', join(dir, 'other.json'), '--db', join(dir, 'users.json'), '--log', '');
    await p.line(/^Server listening on tcp:\/\/127\.0\.0\.1:\d+ and udp:/);
    expect(existsSync(join(dir, 'users.json.lock')), 'the last --db is locked').to.equal(true);
    p.child.stdin.end('Terminate server\n');
    expect(await p.exitCode()).to.equal(0);
    expect(existsSync(join(dir, 'other.json')), 'the first --db is ignored').to.equal(false);
  });

  it('an unknown option: one line, exit 1', async () => {
    const line = await failsWithOneLine(run('--prot', '5555'));
    expect(line).to.include('prot');
  });

  it('an unusable host: one line naming it, exit 1', async () => {
    const p = run('--host', '192.0.2.1', '--port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'));
    expect(await failsWithOneLine(p)).to.include('cannot listen on host 192.0.2.1');
  });

  for (const how of ['Terminate server', 'SIGTERM', 'SIGINT'] as const) {
    it(`${how}: every client is told "Server is shutting down", exit 0, users file intact`, async () => {
      const p = serve();
      const port = await ready(p);
      const a = await login(port, 'alice');
      const b = await login(port, 'bob');
      const idle = await TestClient.connect(port);
      clients.push(idle);
      await idle.next((m) => m.type === 'hello');
      if (how === 'Terminate server') p.child.stdin.write('Terminate server\n');
      else p.child.kill(how);
      for (const c of [a, b, idle]) {
        expect(await c.next((m) => m.type === 'bye')).to.deep.include({ message: 'Server is shutting down' });
        await c.whenClosed();
      }
      expect(await p.exitCode()).to.equal(0);
      const users = JSON.parse(readFileSync(join(dir, 'users.json'), 'utf8')).users;
      expect(users.map((u: { name: string }) => u.name)).to.deep.equal(['alice', 'bob']);
      expect(existsSync(join(dir, 'users.json.lock')), 'lock released').to.equal(false);
      const log = readFileSync(join(dir, 'server.log'), 'utf8');
      expect(log).to.include('User alice successfully registered');
      expect(log).to.match(/Server stopped\s*$/);
      expect(p.err.join('\n')).to.not.match(/\bat .*:\d+:\d+/);
    });
  }

  it('survives the signals a service manager sends: SIGHUP reopens a log moved away (logrotate), SIGUSR2 is noted', async () => {
    const p = serve();
    const port = await ready(p);
    const log = join(dir, 'server.log');
    await login(port, 'alice');
    renameSync(log, `${log}.1`);
    p.child.kill('SIGHUP');
    p.child.kill('SIGUSR2');
    await login(port, 'bob');
    const fresh = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    await waitUntil(() => fresh().includes('User bob successfully registered'), 'the new log file to get lines');
    expect(fresh()).to.include('SIGHUP: log file reopened').and.include('SIGUSR2 received and ignored');
    expect(readFileSync(`${log}.1`, 'utf8')).to.include('User alice successfully registered').and.not.include('bob');
    expect(p.child.exitCode, 'still running').to.equal(null);
    p.child.kill('SIGTERM');
    expect(await p.exitCode()).to.equal(0);
  });

  it('says tls:// in the ready line when it serves TLS', async () => {
    const fixtures = fileURLToPath(new URL('../../../spec/fixtures/', import.meta.url));
    const p = serve('--tls-cert', `${fixtures}test-cert.pem`, '--tls-key', `${fixtures}test-key.pem`);
    await p.line(/^Server listening on tls:\/\/127\.0\.0\.1:\d+ and udp:\/\/127\.0\.0\.1:\d+$/);
  });

  it('keeps connections below the open-file limit, says so once at start, and refuses the rest clearly', async () => {
    const child = spawn('sh', ['-c', `ulimit -n 100 && exec "${process.execPath}" "${MAIN}" --port 0 --udp-port 0 --db "${join(dir, 'users.json')}" --log "${join(dir, 'server.log')}" --bcrypt-cost 4 --hash-threads 1`], { stdio: 'pipe' });
    const p = new Proc(child);
    procs.push(p);
    const port = await ready(p);
    const log = join(dir, 'server.log');
    const warnings = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n').filter((l) => l.includes('open-file limit'));
    await waitUntil(() => warnings().length > 0, 'the warning to reach the log file');
    const warning = warnings();
    expect(warning).to.have.length(1);
    const room = Number(/allows about (\d+) connections/.exec(warning[0]!)![1]);
    expect(room).to.be.within(1, 99);
    const held: TestClient[] = [];
    for (let i = 0; i < room; i++) held.push(await TestClient.connect(port));
    clients.push(...held);
    const extra = await TestClient.connect(port);
    clients.push(extra);
    expect(await extra.error()).to.include({ code: 'TOO_MANY_CONNECTIONS' });
    // Those already in keep being served: one of them logs in and is answered.
    expect(await held[0]!.request({ type: 'login', user: 'alice', password: 'pw' }, (m) => m.type !== 'hello')).to.include({ type: 'login_ok' });
  });
});
