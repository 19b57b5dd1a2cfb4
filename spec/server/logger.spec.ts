import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { LoggingEvent } from 'log4js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink, RETRY_MS, boundedSink } from '../../server/log-sinks.js';
import { UsageError } from '../../common/cli.js';
import net from 'node:net';
import { cachedTime, clockTime, createLogger, fullTime, parseLogLevels, quoted } from '../../server/logger.js';
import { SWEEP_MS } from '../../server/chat/housekeeping.js';
import { ACCEPTS_LOGGED_PER_SECOND } from '../../server/net/listener.js';
import type { Clock } from '../../common/clock.js';
import { makeConfig, type ServerConfig } from '../../server/config.js';
import { ChatServer } from '../../server/server.js';
import { FakeClock } from '../support/fake-clock.js';
import { TestClient } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

/** A stream that keeps what it is given and acknowledges a write only when told to. */
function stalledStream(): { stream: Writable; written: string[]; drain: () => void } {
  const written: string[] = [];
  const pending: Array<() => void> = [];
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, done) {
      written.push(chunk.toString());
      pending.push(done);
    },
  });
  return { stream, written, drain: () => pending.splice(0).forEach((done) => done()) };
}

describe('log sinks', () => {
  it('drop lines past the backlog limit and say how many once the stream catches up', async () => {
    const { stream, written, drain } = stalledStream();
    const sink = boundedSink(stream, 10);
    sink.write('first line\n'); // 11 bytes: now over the limit, still unacknowledged
    sink.write('lost a\nlost b\n');
    sink.write('lost c\n');
    // The stream took the first chunk; the rest sit nowhere: they were dropped.
    expect(written).to.deep.equal(['first line\n']);
    drain();
    await new Promise((r) => setImmediate(r));
    sink.write('after\n');
    drain();
    expect(written).to.deep.equal(['first line\n', '(3 log lines dropped: the log could not keep up)\n', 'after\n']);
  });

  it('write everything while the stream keeps up', () => {
    const { stream, written, drain } = stalledStream();
    const sink = boundedSink(stream, 1000);
    for (let i = 0; i < 5; i++) {
      sink.write(`line ${i}\n`);
      drain();
    }
    expect(written).to.deep.equal(['line 0\n', 'line 1\n', 'line 2\n', 'line 3\n', 'line 4\n']);
  });
});

describe('the log file sink (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-log-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const end = (sink: FileSink) => new Promise<void>((r) => sink.end(r));

  it('survives a full disk: drops and counts lines, tries again, and says when it writes again', async function () {
    if (!existsSync('/dev/full')) this.skip();
    // The log path is a link: first to /dev/full (every write fails with ENOSPC), then to a file.
    const path = join(dir, 'server.log');
    const real = join(dir, 'real.log');
    symlinkSync('/dev/full', path);
    const clock = new FakeClock();
    const said: string[] = [];
    const sink = new FileSink(path, { clock, warn: (l) => said.push(l) });
    sink.write('lost 1\n');
    await waitUntil(() => said.length === 1, 'the failure to be noticed');
    expect(said[0]).to.equal(`chat-server: cannot write log file ${path}: no space left on the disk; log lines are dropped and counted, and the file is tried again every 5 s`);
    sink.write('lost 2\nlost 3\n');
    unlinkSync(path);
    symlinkSync(real, path); // space freed
    clock.advance(RETRY_MS - 1);
    sink.write('lost 4\n'); // too soon to try again
    clock.advance(1);
    sink.write('kept\n');
    await waitUntil(() => said.length === 2, 'the file to work again');
    expect(said[1]).to.equal(`chat-server: log file ${path} is written again (3 lines were dropped)`);
    await end(sink);
    expect(readFileSync(real, 'utf8')).to.equal('(3 log lines dropped: the log file could not be written: no space left on the disk)\nkept\n');
  });

  it('reopens the file by its path, so a file moved away by logrotate is followed by a new one', async () => {
    const path = join(dir, 'server.log');
    const sink = new FileSink(path);
    sink.write('before\n');
    await waitUntil(() => existsSync(path) && readFileSync(path, 'utf8') === 'before\n', 'the first line');
    renameSync(path, `${path}.1`);
    sink.reopen();
    sink.write('after\n');
    await end(sink);
    expect(readFileSync(`${path}.1`, 'utf8')).to.equal('before\n');
    expect(readFileSync(path, 'utf8')).to.equal('after\n');
  });
});

describe('log line times', () => {
  it('read like log4js dates: local time, to the millisecond in the file', () => {
    const d = new Date(2026, 0, 2, 3, 4, 5, 6); // local time
    expect(fullTime(d)).to.equal('2026-01-02T03:04:05.006');
    expect(clockTime(d)).to.equal('03:04:05');
    expect(fullTime(new Date(2026, 10, 21, 23, 59, 59, 999))).to.equal('2026-11-21T23:59:59.999');
  });

  it('are formatted once per millisecond, however many lines share it', () => {
    const formatted: number[] = [];
    const time = cachedTime((d) => {
      formatted.push(d.getTime());
      return `t${d.getTime()}`;
    });
    const at = (ms: number) => ({ startTime: new Date(ms) }) as LoggingEvent;
    expect([at(1000), at(1000), at(1000), at(1001), at(1000)].map(time)).to.deep.equal(['t1000', 't1000', 't1000', 't1001', 't1000']);
    expect(formatted).to.deep.equal([1000, 1001, 1000]);
  });
});

describe('log rotation by size (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-rot-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const end = (sink: FileSink) => new Promise<void>((r) => sink.end(r));
  const text = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : null);

  it('moves the file aside before a line would take it past the size, keeping the newest backups', async () => {
    const path = join(dir, 'server.log');
    const sink = new FileSink(path, { maxSize: 20, backups: 2 });
    const line = (n: number) => `line ${String(n).padStart(3, '0')}\n`; // 9 bytes
    for (let n = 1; n <= 9; n++) {
      sink.write(line(n));
      // Each line written before the next: a file still opening is never moved.
      await waitUntil(() => text(path)?.endsWith(line(n)) === true, `line ${n} to be written`);
    }
    await end(sink);
    // Two lines (18 bytes) fit in 20; the third moves the file: 1-2, 3-4, 5-6, 7-8, 9.
    expect(text(path)).to.equal(line(9));
    expect(text(`${path}.1`)).to.equal(line(7) + line(8));
    expect(text(`${path}.2`)).to.equal(line(5) + line(6));
    expect(readdirSync(dir).sort()).to.deep.equal(['server.log', 'server.log.1', 'server.log.2']);
  });

  it('splits a write of several lines that does not fit: the lines that fit stay, the rest start the next file', async () => {
    const path = join(dir, 'server.log');
    const sink = new FileSink(path, { maxSize: 20, backups: 1 });
    const line = (n: number) => `line ${String(n).padStart(3, '0')}\n`; // 9 bytes
    sink.write(line(1));
    await waitUntil(() => text(path) === line(1), 'the first line');
    sink.write(line(2) + line(3) + line(4)); // one paced write: 9 + 27 > 20
    await end(sink);
    expect(text(`${path}.1`)).to.equal(line(1) + line(2));
    expect(text(path)).to.equal(line(3) + line(4));
  });

  it('counts what the file already held when it was opened', async () => {
    const path = join(dir, 'server.log');
    writeFileSync(path, 'x'.repeat(15));
    const sink = new FileSink(path, { maxSize: 20, backups: 1 });
    sink.write('first\n'); // 15 + 6 > 20: what was there moves aside, the line starts a new file
    sink.write('second\n');
    await end(sink);
    expect(text(`${path}.1`)).to.equal('x'.repeat(15));
    expect(text(path)).to.equal('first\nsecond\n');
  });

  it('says in words why the file could not be moved aside, and goes on writing to it', async () => {
    const path = join(dir, 'server.log');
    mkdirSync(`${path}.1`); // in the way of the backup, even as root
    const said: string[] = [];
    const sink = new FileSink(path, { maxSize: 10, backups: 1, warn: (l) => said.push(l) });
    sink.write('12345678\n');
    await waitUntil(() => text(path) === '12345678\n', 'the first line');
    sink.write('abcdefgh\n');
    await end(sink);
    expect(said).to.deep.equal([`chat-server: cannot rotate log file ${path}: it is a folder (${path} -> ${path}.1); it goes on growing`]);
    expect(text(path)).to.equal('12345678\nabcdefgh\n');
  });

  it('with no backups, starts the file afresh', async () => {
    const path = join(dir, 'server.log');
    const sink = new FileSink(path, { maxSize: 10, backups: 0 });
    sink.write('12345678\n');
    await waitUntil(() => text(path) === '12345678\n', 'the first line');
    sink.write('abcdefgh\n');
    await end(sink);
    expect(readdirSync(dir)).to.deep.equal(['server.log']);
    expect(text(path)).to.equal('abcdefgh\n');
  });
});

describe('log levels by category and the JSON format (real files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-lvl-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses --log-level: a default, categories, or both', () => {
    expect(parseLogLevels('warn')).to.deep.equal({ default: 'warn' });
    expect(parseLogLevels('chat=warn,net=info')).to.deep.equal({ default: 'info', chat: 'warn', net: 'info' });
    expect(parseLogLevels(' ERROR , net = debug ')).to.deep.equal({ default: 'error', net: 'debug' });
    const bad = (t: string) => {
      try {
        parseLogLevels(t);
      } catch (e) {
        expect(e).to.be.instanceOf(UsageError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(bad('loud')).to.equal('invalid --log-level: unknown level "loud" (use debug, info, warn, error, off)');
    expect(bad('chatt=warn')).to.match(/^invalid --log-level: unknown category "chatt" \(use server, console, net, chat, dispatch/);
    expect(bad(',')).to.equal('invalid --log-level: empty');
  });

  it('writes each category at its own level, and one JSON object a line with --log-format json', async () => {
    const path = join(dir, 'server.log');
    const log = createLogger(path, { console: false, levels: parseLogLevels('info,chat=warn'), format: 'json' });
    log.info('server info');
    log.for('chat').info('chat info: dropped');
    log.for('chat').warn('chat warn');
    log.for('net').info('net "quoted"\nline');
    await log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(lines.map(({ level, category, message }) => ({ level, category, message }))).to.deep.equal([
      { level: 'INFO', category: 'server', message: 'server info' },
      { level: 'WARN', category: 'chat', message: 'chat warn' },
      { level: 'INFO', category: 'net', message: 'net "quoted"\nline' },
    ]);
    expect(lines[0]!.time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes a text line a message: local time to the millisecond, level, the message as it is', async () => {
    const path = join(dir, 'server.log');
    const log = createLogger(path, { console: false });
    log.info('100% sure: %s %d %%');
    log.for('store').error('disk full');
    await log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} /, '<time> '))).to.deep.equal([
      '<time> INFO 100% sure: %s %d %%',
      '<time> ERROR disk full',
      '',
    ]);
  });

  it('hands console lines, as text, to the function given', async () => {
    const got: string[] = [];
    const log = createLogger('', { console: (t) => got.push(t), levels: parseLogLevels('net=off') });
    log.info('one');
    log.for('net').error('not shown');
    log.for('dispatch').warn('two');
    await log.close();
    expect(got.map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''))).to.deep.equal(['INFO one\n', 'WARN two\n']);
  });
});

describe("the real server's log file", () => {
  let dir: string;
  let server: ChatServer | null;
  const clients: TestClient[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-logged-'));
    server = null;
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A server logging to a JSON file at `levels`; resolves with its port. */
  async function serve(levels: string, config: Partial<ServerConfig> = {}, clock?: Clock): Promise<number> {
    const log = join(dir, 'server.log');
    const logger = createLogger(log, { console: false, levels: parseLogLevels(levels), format: 'json' });
    const db = join(dir, 'users.json');
    server = new ChatServer(makeConfig({ host: '127.0.0.1', port: 0, udpPort: 0, log, bcryptCost: 4, db, dataDir: join(dir, 'data'), ...config }), { logger, ...(clock ? { clock } : {}) });
    return (await server.start()).port;
  }
  /** Stops the server (which flushes the log) and reads the lines it wrote. */
  async function logged(): Promise<{ level: string; category: string; message: string }[]> {
    await server!.stop();
    return readFileSync(join(dir, 'server.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; category: string; message: string });
  }
  async function loginOnce(port: number): Promise<void> {
    const alice = await TestClient.login(port, 'alice');
    clients.push(alice);
    await alice.who();
  }
  const debugLines = async () => (await logged()).filter((l) => l.level === 'DEBUG').map((l) => `${l.category} ${l.message.replace(/127\.0\.0\.1:\d+/, '<client>')}`);

  it('net=debug: each frame a connection sends, at debug under net, and nothing else at debug', async () => {
    await loginOnce(await serve('net=debug'));
    expect(await debugLines()).to.deep.equal(['net Received login from <client>', 'net Received who from <client>']);
  });

  it('dispatch=debug: each command handled, with its outcome', async () => {
    const port = await serve('dispatch=debug');
    await loginOnce(port);
    const stranger = await TestClient.connect(port);
    clients.push(stranger);
    expect(await stranger.request({ type: 'who' }, (m) => m.type === 'error')).to.include({ code: 'NOT_LOGGED_IN' });
    expect(await debugLines()).to.deep.equal([
      'dispatch Handled login from <client>: done',
      'dispatch Handled who from <client>: done',
      'dispatch Handled who from <client>: refused (NOT_LOGGED_IN)',
    ]);
  });

  it('info (the default): no debug line', async () => {
    await loginOnce(await serve('info'));
    expect(await debugLines()).to.deep.equal([]);
  });

  it('files kept beside the users file log under store, as the README says', async () => {
    await serve('info');
    const opened = (await logged()).filter((l) => l.message.startsWith('History opened'));
    expect(opened.map((l) => l.category)).to.deep.equal(['store']);
  });

  /** Connects, waits for the server's first bytes (its hello) and hangs up. */
  const connectAndHangUp = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', reject);
      s.once('data', () => s.destroy());
      s.once('close', () => resolve());
    });

  it(`a burst of connections that hang up without logging in: ${ACCEPTS_LOGGED_PER_SECOND} accepted and closed lines, one line counting the rest`, async () => {
    const clock = new FakeClock();
    const port = await serve('info', {}, clock);
    for (let batch = 0; batch < 4; batch++) await Promise.all(Array.from({ length: 50 }, () => connectAndHangUp(port)));
    await waitUntil(() => server!.connections === 0, 'the server to see every connection close');
    clock.advance(SWEEP_MS); // the second is over: its summary is written
    const messages = (await logged()).map((l) => l.message);
    const n = ACCEPTS_LOGGED_PER_SECOND;
    expect(messages.filter((m) => m.startsWith('Accepted connection from'))).to.have.length(n);
    expect(messages.filter((m) => /^Connection from \S+ closed: /.test(m))).to.have.length(n);
    expect(messages).to.include(`${200 - n} more connections accepted in a second, not logged one by one (those that log in are named at login)`);
  });

  it('a long group line is quoted up to 200 characters, then only measured', async () => {
    const alice = await TestClient.login(await serve('info'), 'alice');
    clients.push(alice);
    alice.send({ type: 'say', text: `${'é'.repeat(150)}${'x'.repeat(4850)}` });
    await alice.line();
    const line = (await logged()).find((l) => l.message.startsWith('Group message from alice'));
    expect(line?.message).to.equal(`Group message from alice: "${'é'.repeat(150)}${'x'.repeat(50)}"… (5150 bytes)`);
  });
});

describe('quoted user text in log lines', () => {
  it('is JSON-quoted whole up to 200 characters, cut with its size in bytes beyond', () => {
    expect(quoted('a\nb "c"')).to.equal('"a\\nb \\"c\\""');
    expect(quoted('y'.repeat(200))).to.equal(`"${'y'.repeat(200)}"`);
    expect(quoted('y'.repeat(201))).to.equal(`"${'y'.repeat(200)}"… (201 bytes)`);
  });
});
