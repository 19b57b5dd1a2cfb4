/**
 * The built server binary as a user runs it: `node dist/server/main.js` with options, its ready
 * line, its console, its errors (one line, exit code 1, no stack trace) and its --help.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClientProcess } from '../client/client-process.js';
import { TestClient } from '../support/harness.js';
import { killAll, Proc } from '../support/proc.js';
import { waitUntil } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));
const READY = /^Server listening on tcp:\/\/127\.0\.0\.1:(\d+) and udp:\/\/127\.0\.0\.1:(\d+)$/;

describe('chat-server binary', function () {
  this.timeout(20_000);
  let dir: string;
  const procs: Proc[] = [];
  const clients: TestClient[] = [];

  function run(...args: string[]): Proc {
    return runWith({}, ...args);
  }
  /** The binary with extra environment variables (TINYCHAT_* of this process are never passed on). */
  function runWith(env: Record<string, string>, ...args: string[]): Proc {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TINYCHAT_')));
    // In the temp folder: --data-dir defaults to ./data.
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: 'pipe', cwd: dir, env: { ...inherited, ...env } });
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
    await killAll(procs);
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
    await p.line(/^Console commands: online, stats, kick NAME \[reason\], mute NAME SECONDS, wall TEXT, motd, Terminate server, help$/);
  });

  it('an offline messages file it cannot read: the start stops with a line saying what is at stake, exit 1, the users file left unlocked', async () => {
    const offline = join(dir, 'data', 'offline.jsonl');
    mkdirSync(offline, { recursive: true }); // unreadable even as root
    const p = serve();
    expect(await p.exitCode()).to.equal(1);
    // After the log's lines of what opened before it (the history), the reason, last.
    expect(p.err.filter((l) => l.trim() !== '').at(-1)).to.equal(
      `chat-server: cannot read the offline messages file ${offline} (it is a folder): the private messages kept in it would not reach their recipients; make it readable by the server, or move it away to start without them`,
    );
    expect(existsSync(join(dir, 'users.json.lock'))).to.equal(false);
    rmSync(offline, { recursive: true });
    await ready(serve());
  });

  it('--help lists the options and exits 0', async () => {
    const p = run('--help');
    expect(await p.exitCode()).to.equal(0);
    const text = p.out.join('\n');
    const every = ['--host', '--port', '--udp-port', '--db', '--log', '--bcrypt-cost', '--allow-guests', '--max-body', '--pm-timeout'];
    every.push('--rate-count', '--rate-window', '--mute-seconds', '--heartbeat-timeout', '--login-timeout', '--announce-limit');
    every.push('--max-connections', '--max-per-address', '--max-output', '--min-password', '--max-failures', '--hash-threads');
    every.push('--hash-queue', '--tls-cert', '--tls-key', '--help', '--version', '--config', '--print-config', '--metrics-port');
    every.push('--metrics-host', '--log-level', '--log-format', '--log-max-size', '--log-backups', '--motd', 'TINYCHAT_');
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
      // Text that is no number is named as typed; a number out of range gets the range.
      expect(line).to.include(bad === 'abc' ? 'invalid --port "abc": not a number' : 'use a whole number from 0 to 65535');
      expect(line).to.not.include('NaN');
      expect(existsSync(join(dir, 'users.json')), 'nothing created').to.equal(false);
    });
  }

  const badNumbers: [string, string, string][] = [
    ['--udp-port', '70000', 'invalid --udp-port 70000: use a whole number from 0 to 65535'],
    ['--bcrypt-cost', '32', 'invalid --bcrypt-cost 32: use a whole number from 4 to 31'],
    ['--bcrypt-cost', '3', 'invalid --bcrypt-cost 3: use a whole number from 4 to 31'],
    ['--max-body', 'abc', 'invalid --max-body "abc": not a number'],
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
    expect(line).to.equal('chat-server: unknown option --prot');
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
      // The cause, right before the stop it caused: an operator reading the log sees why.
      const cause = how === 'Terminate server' ? 'Console: Terminate server' : how;
      expect(log).to.match(new RegExp(`INFO ${cause}: stopping the server\\n[^\\n]* INFO Server shutting down\\n`));
      expect(log).to.match(/Server stopped\s*$/);
      expect(p.err.join('\n')).to.not.match(/\bat .*:\d+:\d+/);
    });
  }

  it('survives the signals a service manager sends: SIGHUP reopens a log moved away (logrotate), SIGUSR2 is noted', async () => {
    // In the JSON format, to see the reopened file is written as the first was.
    const p = serve('--log-format', 'json');
    const port = await ready(p);
    const log = join(dir, 'server.log');
    await login(port, 'alice');
    // As logrotate would: move the file once what is to be in it has been written (log lines are
    // written at most every 50 ms; a line still waiting goes to the reopened file, as it should).
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('User alice successfully registered'), 'alice in the log');
    renameSync(log, `${log}.1`);
    p.child.kill('SIGHUP');
    p.child.kill('SIGUSR2');
    await login(port, 'bob');
    const fresh = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    await waitUntil(() => fresh().includes('User bob successfully registered'), 'the new log file to get lines');
    expect(fresh()).to.include('SIGHUP: log file reopened').and.include('SIGUSR2 received and ignored');
    const reopened = fresh().trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(reopened.find((l) => l.message === 'SIGHUP: log file reopened')).to.deep.include({ level: 'INFO', category: 'server' });
    expect(readFileSync(`${log}.1`, 'utf8')).to.include('User alice successfully registered').and.not.include('bob');
    expect(p.child.exitCode, 'still running').to.equal(null);
    p.child.kill('SIGTERM');
    expect(await p.exitCode()).to.equal(0);
  });

  it('brackets an IPv6 address in the ready line, so its colons do not run into the port', async () => {
    const p = serve('--host', '::1');
    await p.line(/^Server listening on tcp:\/\/\[::1\]:\d+ and udp:\/\/\[::1\]:\d+$/);
  });

  it('says tls:// in the ready line and in the log when it serves TLS', async () => {
    const fixtures = fileURLToPath(new URL('../../../spec/fixtures/', import.meta.url));
    const p = serve('--tls-cert', `${fixtures}test-cert.pem`, '--tls-key', `${fixtures}test-key.pem`);
    const [, where] = await p.line(/^Server listening on (tls:\/\/127\.0\.0\.1:\d+ and udp:\/\/127\.0\.0\.1:\d+)$/);
    const log = join(dir, 'server.log');
    const started = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n').filter((l) => l.includes('Server started'));
    await waitUntil(() => started().length > 0, 'the start line to reach the log file');
    expect(started()).to.have.length(1);
    expect(started()[0]).to.include(` INFO Server started on ${where} (0 accounts)`);
  });

  it('keeps connections below the open-file limit, says so once at start, and refuses the rest clearly', async () => {
    const child = spawn('sh', ['-c', `ulimit -n 100 && exec "${process.execPath}" "${MAIN}" --port 0 --udp-port 0 --db "${join(dir, 'users.json')}" --log "${join(dir, 'server.log')}" --bcrypt-cost 4 --hash-threads 1`], { stdio: 'pipe', cwd: dir });
    const p = new Proc(child);
    procs.push(p);
    const port = await ready(p);
    const log = join(dir, 'server.log');
    const warnings = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n').filter((l) => l.includes('open-file limit'));
    await waitUntil(() => warnings().length > 0, 'the warning to reach the log file');
    const warning = warnings();
    expect(warning).to.have.length(1);
    // Only the default --max-connections is higher: a note, not a warning.
    expect(warning[0]).to.match(/ INFO The open-file limit \(100\) allows about \d+ connections: at most \d+ are accepted; for more, raise it with ulimit -n or LimitNOFILE$/);
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

  it('serves with a standard input it cannot read (as nohup leaves it), saying the console is off', async () => {
    const log = join(dir, 'nohup.log');
    // Opened for writing only, as nohup redirects a terminal's stdin: every read fails (EBADF).
    const child = spawn('sh', ['-c', `exec "${process.execPath}" "${MAIN}" --port 0 --udp-port 0 --db "${join(dir, 'users.json')}" --log "${log}" --bcrypt-cost 4 0>/dev/null`], { stdio: 'pipe', cwd: dir });
    const p = new Proc(child);
    procs.push(p);
    const port = await ready(p);
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n');
    await waitUntil(() => lines().some((l) => l.includes('Console:')), 'the console line to reach the log file');
    expect(lines().filter((l) => l.includes('Console:'))).to.have.length(1);
    expect(lines().find((l) => l.includes('Console:'))).to.match(/ WARN Console: cannot read standard input: bad file descriptor \(EBADF\); no console commands \(stop the server with SIGTERM\)$/);
    const alice = await TestClient.connect(port);
    clients.push(alice);
    expect(await alice.request({ type: 'login', user: 'alice', password: 'pw' }, (m) => m.type !== 'hello')).to.include({ type: 'login_ok' });
    child.kill('SIGTERM');
    expect(await p.exitCode()).to.equal(0);
  });

  it('warns at start when the open-file limit is below a --max-connections the operator set', async () => {
    const log = join(dir, 'asked.log');
    const child = spawn('sh', ['-c', `ulimit -n 100 && exec "${process.execPath}" "${MAIN}" --port 0 --udp-port 0 --db "${join(dir, 'users.json')}" --log "${log}" --max-connections 500`], { stdio: 'pipe', cwd: dir });
    const p = new Proc(child);
    procs.push(p);
    await ready(p);
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n').filter((l) => l.includes('open-file limit'));
    await waitUntil(() => lines().length > 0, 'the warning to reach the log file');
    expect(lines()).to.have.length(1);
    expect(lines()[0]).to.match(/ WARN The open-file limit \(100\) allows about \d+ connections, fewer than --max-connections 500: at most \d+ are accepted; raise it with ulimit -n or LimitNOFILE$/);
  });

  it('--version prints the name and version, and exits 0', async () => {
    const p = run('--version');
    expect(await p.exitCode()).to.equal(0);
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
    expect(p.out.filter(Boolean)).to.deep.equal([`chat-server ${pkg.version}`]);
  });

  it('takes options from a --config file and TINYCHAT_* variables; the command line wins, then the environment', async () => {
    const file = join(dir, 'tinychat.json');
    writeFileSync(file, JSON.stringify({ 'max-body': 1000, 'allow-guests': true, 'pm-timeout': 7, db: join(dir, 'users.json'), log: '' }));
    const show = async (env: Record<string, string>, ...args: string[]) => {
      const p = runWith(env, '--config', file, '--print-config', ...args);
      expect(await p.exitCode(), p.err.join('\n')).to.equal(0);
      return JSON.parse(p.out.join('\n')) as Record<string, unknown>;
    };
    // The log file rotates by default (50 MiB, 5 kept), so a flood cannot fill the disk.
    expect(await show({})).to.deep.include({ 'max-body': 1000, 'allow-guests': true, 'pm-timeout': 7, port: 5555, 'log-max-size': '50M', 'log-backups': 5 });
    expect(await show({ TINYCHAT_MAX_BODY: '2000', TINYCHAT_ALLOW_GUESTS: 'false' })).to.deep.include({ 'max-body': 2000, 'allow-guests': false, 'pm-timeout': 7 });
    expect(await show({ TINYCHAT_MAX_BODY: '2000' }, '--max-body', '3000')).to.deep.include({ 'max-body': 3000, 'allow-guests': true });
    expect(readdirSync(dir), '--print-config starts nothing').to.deep.equal(['tinychat.json']);
    // The file named by TINYCHAT_CONFIG, and its values in a real start (hello announces max-body).
    const p = runWith({ TINYCHAT_CONFIG: file, TINYCHAT_PORT: '0' }, '--udp-port', '0', '--bcrypt-cost', '4');
    const port = await ready(p);
    const c = await TestClient.connect(port);
    clients.push(c);
    expect(await c.next((m) => m.type === 'hello')).to.deep.include({ maxBody: 1000, guests: true });
  });

  it('prints a configuration that serves as a --config file again: a password length as a number, a Redis password masked', async () => {
    const file = join(dir, 'tinychat.json');
    writeFileSync(file, JSON.stringify({ 'min-password': 12, redis: 'redis://chat:s3cr3t@127.0.0.1:6379', 'tls-key': join(dir, 'key.pem'), 'tls-cert': join(dir, 'cert.pem') }));
    const first = run('--config', file, '--print-config');
    expect(await first.exitCode(), first.err.join('\n')).to.equal(0);
    const printed = first.out.join('\n');
    expect(JSON.parse(printed)).to.deep.include({ 'min-password': 12, redis: 'redis://chat:***@127.0.0.1:6379', 'tls-key': join(dir, 'key.pem') });
    expect(printed).to.not.include('s3cr3t');
    const again = join(dir, 'printed.json');
    writeFileSync(again, printed);
    const second = run('--config', again, '--print-config');
    expect(await second.exitCode(), second.err.join('\n')).to.equal(0);
    expect(second.out.join('\n')).to.equal(printed);
  });

  it('refuses an unknown config key, a bad value from the file or the environment, naming where it came from', async () => {
    const file = join(dir, 'tinychat.json');
    writeFileSync(file, '{"port": 0, "max_body": 5}');
    expect(await failsWithOneLine(run('--config', file))).to.equal(`chat-server: config file ${file}: unknown key "max_body"`);
    writeFileSync(file, '{"bcrypt-cost": 40}');
    expect(await failsWithOneLine(run('--config', file))).to.equal(`chat-server: invalid --bcrypt-cost 40 (from config file ${file}): use a whole number from 4 to 31`);
    expect(await failsWithOneLine(runWith({ TINYCHAT_MAX_OUTPUT: '12' }))).to.equal('chat-server: invalid --max-output 12 (from TINYCHAT_MAX_OUTPUT): use a whole number of at least 1024');
    expect(await failsWithOneLine(runWith({ TINYCHAT_PROT: '1' }))).to.match(/^chat-server: unknown environment variable TINYCHAT_PROT/);
    expect(await failsWithOneLine(run('--config', join(dir, 'missing.json')))).to.equal(`chat-server: cannot read config file ${join(dir, 'missing.json')}: no such file`);
    expect(await failsWithOneLine(run('--log-level', 'chat=loud'))).to.equal('chat-server: invalid --log-level: unknown level "loud" (use debug, info, warn, error, off)');
    expect(await failsWithOneLine(run('--log-format', 'xml'))).to.equal('chat-server: invalid --log-format "xml": use text or json');
    expect(readdirSync(dir), 'nothing written').to.deep.equal(['tinychat.json']);
  });

  it('rotates its log file by size, keeping --log-backups files', async () => {
    // Every login registers a new account: more than the default 20 an hour from one address.
    const p = serve('--log-max-size', '1K', '--log-backups', '2', '--max-registrations', '100');
    const port = await ready(p);
    const log = join(dir, 'server.log');
    // The oldest lines go with the oldest file, by design; the newest are kept, once written (log
    // lines are written at most every 50 ms, so each login's lines are waited for before the next).
    // A rotation may rename a file between two reads: one gone meanwhile reads as empty (the next look sees it).
    const readIfThere = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    const kept = () => [`${log}.2`, `${log}.1`, log].map(readIfThere).join('');
    for (let i = 0; existsSync(`${log}.2`) === false; i++) {
      expect(i, 'rotated within 40 logins').to.be.below(40);
      (await login(port, `user${i}`)).close();
      await waitUntil(() => kept().includes(`User user${i} successfully registered`), `user${i}'s registration in the log`);
    }
    for (const f of [`${log}.2`, `${log}.1`]) expect(Buffer.byteLength(readFileSync(f, 'utf8'))).to.be.at.most(1024);
    expect(existsSync(`${log}.3`)).to.equal(false);
  });

  it('on one terminal or file for stdout and stderr, prints the online list after the log line of the login that changed it', async () => {
    const args = ['--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', '', '--bcrypt-cost', '4'];
    const child = spawn('sh', ['-c', `exec "${process.execPath}" "${MAIN}" ${args.map((a) => `'${a}'`).join(' ')} 2>&1`], { stdio: 'pipe', cwd: dir });
    const p = new Proc(child);
    procs.push(p);
    const m = await p.line(READY);
    for (const name of ['alice', 'bob', 'carol']) {
      await login(Number(m[1]), name);
      await p.line(new RegExp(`^Online users \\(\\d\\): .*${name}$`));
      const logged = p.out.findIndex((l) => l.includes(`User ${name} logged in`));
      const listed = p.out.findIndex((l) => new RegExp(`^Online users .*${name}$`).test(l));
      expect(logged, p.out.join('\n')).to.be.within(0, listed - 1);
    }
  });

  it('SIGTERM with a client that never reads: still exits 0, within a few seconds', async () => {
    // No history: 12 MB of it would be fsynced before the exit, and history is not what this checks.
    const p = serve('--rate-count', '10000', '--max-output', String(64 << 20), '--max-body', '65536', '--history-days', '0');
    const port = await ready(p);
    const sleeper = await login(port, 'sleeper');
    sleeper.socket.pause(); // never reads again
    const talker = await login(port, 'talker');
    const text = 'x'.repeat(60_000);
    for (let i = 0; i < 200; i++) talker.send({ type: 'say', text }); // 12 MB for the sleeper, more than sockets hold
    await talker.sync();
    const t0 = Date.now();
    p.child.kill('SIGTERM');
    expect(await p.exitCode(10_000)).to.equal(0);
    expect(Date.now() - t0).to.be.below(8000);
  });

  it('--metrics-port: /metrics, /healthz, and /readyz turning 503 when the users file folder becomes read-only', async () => {
    // Permission bits do not stop root: run the server as an ordinary user when the tests run as root.
    const root = process.getuid?.() === 0;
    const ids = root ? { uid: 65534, gid: 65534 } : {};
    if (root) chownSync(dir, 65534, 65534);
    const args = ['--port', '0', '--udp-port', '0', '--metrics-port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'), '--bcrypt-cost', '4'];
    const p = new Proc(spawn(process.execPath, [MAIN, ...args], { stdio: 'pipe', cwd: dir, ...ids }));
    procs.push(p);
    const port = await ready(p);
    const metricsPort = Number((await p.line(/^Metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics \(and \/healthz, \/readyz\)$/))[1]);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}${path}`);
      return { status: res.status, text: await res.text() };
    };
    await login(port, 'alice');
    const metrics = (await get('/metrics')).text;
    expect(metrics).to.match(/^tinychat_logins_total\{result="created"\} 1$/m).and.match(/^tinychat_users_online 1$/m).and.match(/^process_cpu_seconds_total /m);
    expect(await get('/healthz')).to.deep.equal({ status: 200, text: 'ok\n' });
    expect(await get('/readyz')).to.deep.equal({ status: 200, text: 'ready\n' });
    chmodSync(dir, 0o500);
    try {
      expect(await get('/readyz')).to.deep.equal({ status: 503, text: `not ready: users file: cannot write in ${dir}: permission denied\n` });
    } finally {
      chmodSync(dir, 0o700);
    }
    expect((await get('/readyz')).status).to.equal(200);
  });

  it('--metrics-host: the endpoint listens on that address only; an empty or foreign one stops the start in one line', async () => {
    const p = serve('--metrics-port', '0', '--metrics-host', '127.0.0.2');
    await ready(p);
    const metricsPort = Number((await p.line(/^Metrics on http:\/\/127\.0\.0\.2:(\d+)\/metrics \(and \/healthz, \/readyz\)$/))[1]);
    const res = await fetch(`http://127.0.0.2:${metricsPort}/metrics`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.match(/^tinychat_users_online 0$/m);
    const elsewhere = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
      () => 'answered',
      (e: Error & { cause?: { code?: string } }) => e.cause?.code,
    );
    expect(elsewhere, 'not on 127.0.0.1').to.equal('ECONNREFUSED');
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'chat-main-'));
    expect(await failsWithOneLine(serve('--metrics-port', '0', '--metrics-host', ''))).to.equal('chat-server: invalid --metrics-host: empty');
    expect(await failsWithOneLine(serve('--metrics-port', '0', '--metrics-host', '192.0.2.1'))).to.equal('chat-server: cannot listen on --metrics-host 192.0.2.1: no such local address');
    expect(readdirSync(dir), 'nothing written').to.deep.equal([]);
  });

  it('a metrics port in use: one line naming it, exit 1, nothing written', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = blocker.address() as net.AddressInfo;
      const line = await failsWithOneLine(serve('--metrics-port', String(port)));
      expect(line).to.equal(`chat-server: metrics port 127.0.0.1:${port} already in use (try another --metrics-port)`);
      expect(readdirSync(dir)).to.deep.equal([]);
    } finally {
      blocker.close();
    }
  });

  it('--motd: every user reads it after login; a bad file stops the start', async () => {
    const motd = join(dir, 'motd.txt');
    writeFileSync(motd, 'Welcome to tinychat.\n');
    const port = await ready(serve('--motd', motd));
    const a = await login(port, 'alice');
    expect(await a.notice('motd')).to.deep.include({ message: 'Welcome to tinychat.' });
    writeFileSync(motd, 'x'.repeat(2000));
    expect(await failsWithOneLine(serve('--motd', motd))).to.equal(`chat-server: --motd file ${motd} is too long: 2000 characters, at most 1024`);
    // Why, in words, not Node's "ENOENT: no such file or directory, open '…'" naming the path twice.
    const missing = join(dir, 'missing.txt');
    expect(await failsWithOneLine(serve('--motd', missing))).to.equal(`chat-server: cannot read --motd file ${missing}: no such file`);
  });

  it('a --data-dir or --db under a file, not a folder: one line naming the file, in words', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    expect(await failsWithOneLine(serve('--data-dir', join(file, 'data')))).to.equal(`chat-server: cannot use network id file ${join(file, 'data', 'network-id')}: a part of the path is a file, not a folder`);
    expect(await failsWithOneLine(run('--port', '0', '--udp-port', '0', '--log', '', '--db', join(file, 'users.json')))).to.equal(`chat-server: cannot create lock file ${join(file, 'users.json.lock')}: a part of the path is a file, not a folder`);
  });

  it('kick from the console: the real client is told why and does not reconnect; motd and wall reach it', async () => {
    const motd = join(dir, 'motd.txt');
    writeFileSync(motd, 'Be kind.');
    const p = serve('--motd', motd);
    const port = await ready(p);
    const client = new ClientProcess(['--port', String(port), '--user', 'alice', '--no-bell'], { CHAT_PASSWORD: 'pw' });
    try {
      await client.waitFor(/Be kind\./);
      p.child.stdin.write('wall Restart at noon\n');
      await client.waitFor(/Restart at noon/);
      p.child.stdin.write('kick alice spamming\n');
      await p.line(/^Kicked alice: spamming$/);
      await client.waitFor(/removed from the chat by the operator: spamming/);
      expect(await client.exitCode(8000)).to.equal(1);
      expect(client.transcript).to.not.match(/reconnect/i);
    } finally {
      client.kill();
    }
  });
});
