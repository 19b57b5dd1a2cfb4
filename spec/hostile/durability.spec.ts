/**
 * kill -9 while history and offline messages are being written: every offline message whose
 * sender was told "kept" is on disk, the history on disk is an unbroken prefix of what was said
 * (at most the last batch lost, a torn last line skipped), and a new server starts on the files
 * and delivers what was kept.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerMessage } from '../../common/protocol.js';
import { startServer, TestClient } from '../support/harness.js';
import { WAIT_MS } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));

function spawnServer(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const args = [MAIN, '--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', '', '--data-dir', join(dir, 'data'), '--bcrypt-cost', '4', '--rate-count', '1000000'];
  // stderr (a log line per group line) is not read here: ignored, so a full pipe cannot block it.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

/** The group lines in the history files, in order; a torn last line is skipped. */
function groupLinesOnDisk(data: string): string[] {
  if (!existsSync(data)) return [];
  const rows = readdirSync(data)
    .filter((f) => f.startsWith('history-'))
    .sort()
    .flatMap((f) => readFileSync(join(data, f), 'utf8').split('\n'))
    .filter(Boolean);
  const parsed = rows.flatMap((r) => {
    try {
      return [(JSON.parse(r) as { text: string }).text];
    } catch {
      return []; // a torn last line
    }
  });
  return parsed.filter((t) => t.startsWith('group '));
}

describe('hostile: kill -9 while history and offline messages are written', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-durable-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loses no acknowledged offline message and at most the last batch of history, and a new server reads the files', async () => {
    const { child, port } = await spawnServer(dir);
    const carol = await TestClient.login(port, 'carol');
    carol.send({ type: 'logout' });
    await carol.whenClosed();
    const alice = await TestClient.login(port, 'alice');
    const echoed = new Set<string>();
    const kept: string[] = [];
    let stamped = 0;
    alice.socket.on('data', () => {
      // After the client's own handler: what it took in from this chunk.
      for (; stamped < alice.received.length; stamped++) {
        const m = alice.received[stamped]!;
        if (m.type === 'msg') echoed.add(m.text);
      }
    });
    // Senders that never wait: group lines and offline messages, until the kill.
    let n = 0;
    let stop = false;
    const offlineAcks = (async () => {
      for (let i = 0; !stop; i++) {
        const text = `kept ${i}`;
        const reply = await alice.request({ type: 'dm', to: 'carol', text }, (m) => m.type === 'notice' && m.event === 'offline_stored').catch(() => null);
        if (reply && !stop) kept.push(text);
        if (i >= 95) break; // the mailbox holds 100
      }
    })();
    // Sending on, until some offline messages were acknowledged and some group lines echoed (at
    // least 1.5 s), then until every line echoed by then is in the history file: a batch is
    // written within 100 ms, but a busy machine's fsyncs can be slow, hence a deadline, not a time.
    const pump = async () => {
      for (let i = 0; i < 20; i++) alice.send({ type: 'say', text: `group ${n++}` });
      await new Promise((r) => setTimeout(r, 10));
    };
    const started = performance.now();
    while (performance.now() - started < 1500 || kept.length <= 5 || echoed.size <= 50) await pump();
    const seen = [...echoed].filter((t) => t.startsWith('group '));
    const deadline = performance.now() + WAIT_MS;
    let missing = seen;
    while (missing.length > 0 && performance.now() < deadline) {
      await pump();
      const written = new Set(groupLinesOnDisk(join(dir, 'data')));
      missing = missing.filter((t) => !written.has(t));
    }
    expect(missing, `echoed lines still not in the history file after ${WAIT_MS} ms`).to.deep.equal([]);
    child.kill('SIGKILL');
    stop = true;
    await new Promise((r) => child.once('exit', r));
    await offlineAcks;
    alice.close();

    const data = join(dir, 'data');
    const offline = readFileSync(join(data, 'offline.jsonl'), 'utf8');
    for (const text of kept) expect(offline, text).to.include(`"text":"${text}"`);
    expect(kept.length, 'some offline messages were acknowledged').to.be.greaterThan(5);

    const onDisk = groupLinesOnDisk(data);
    expect(onDisk, 'an unbroken prefix of what was said').to.deep.equal(Array.from({ length: onDisk.length }, (_, i) => `group ${i}`));

    // A new server on the same files: the history loads, carol gets every kept message once.
    const srv = await startServer({ db: join(dir, 'users.json'), dataDir: data });
    try {
      const back = await TestClient.login(srv.port, 'carol');
      await back.sync();
      const delivered = back.all('msg').filter((m: ServerMessage<'msg'>) => m.offline).map((m) => m.text);
      for (const text of kept) expect(delivered, text).to.include(text);
      back.close();
    } finally {
      await srv.stop();
    }
  });
});
