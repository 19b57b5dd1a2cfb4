/**
 * End to end, with real processes and the real 20 s default: a client killed with SIGKILL (the
 * laptop lid closes) disappears from everyone's online list 20 s after its last heartbeat.
 *
 * The client's heartbeats go through a UDP relay in this process (the client's --udp-port
 * override), so the test sees each one pass and kills the client right after one: from then on
 * the server hears nothing, and the offline notice must come 20 to 21 s later.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeHeartbeat } from '../../common/heartbeat.js';
import type { ServerMessage } from '../../common/protocol.js';
import { TestClient } from '../support/harness.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/spec/e2e
const DIST = resolve(here, '../..');
const SERVER = join(DIST, 'server/main.js');
const CLI = join(DIST, 'client/main.js');
const STAND_IN = join(here, 'beating-client.js');
const READY = /Server listening on tcp:\/\/127\.0\.0\.1:(\d+) and udp:\/\/127\.0\.0\.1:(\d+)/;

/** Starts the built server; resolves with its ports once it prints the ready line. */
function startServer(dir: string, extra: string[]): Promise<{ proc: ChildProcess; port: number; udpPort: number }> {
  const args = [SERVER, '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'), '--data-dir', join(dir, 'data'), '--bcrypt-cost', '4', ...extra];
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (b: Buffer) => (err += b));
    proc.stdout!.on('data', (b: Buffer) => {
      out += b;
      const m = READY.exec(out);
      if (m) ok({ proc, port: Number(m[1]), udpPort: Number(m[2]) });
    });
    proc.once('exit', (code) => fail(new Error(`server exited (${code}) before its ready line: ${out}${err}`)));
  });
}

function stop(proc: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill(signal);
  });
}

describe('presence end to end (real processes)', function () {
  this.timeout(40_000);
  let dir: string;
  const procs: ChildProcess[] = [];
  const cleanup: (() => void)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-e2e-'));
  });
  afterEach(async () => {
    cleanup.splice(0).forEach((f) => f());
    for (const p of procs.splice(0).reverse()) await stop(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the ready line names both ports; --udp-port defaults to the TCP port number', async () => {
    const same = await startServer(dir, ['--port', '0']);
    procs.push(same.proc);
    expect(same.udpPort).to.equal(same.port);
    const other = join(dir, 'other');
    mkdirSync(other);
    const apart = await startServer(other, ['--port', '0', '--udp-port', '0']);
    procs.push(apart.proc);
    expect(apart.udpPort).to.be.above(0);
    const c = await TestClient.login(apart.port, 'ada');
    cleanup.push(() => c.close());
    expect(c.me.udpPort).to.equal(apart.udpPort);
  });

  it('a client killed with SIGKILL goes offline for the others 20 s after its last heartbeat, not before', async () => {
    const srv = await startServer(dir, ['--port', '0', '--udp-port', '0']);
    procs.push(srv.proc);

    // The observer beats for itself every 5 s, as a client does, so it stays online throughout.
    const watcher = await TestClient.login(srv.port, 'watcher');
    const udp = dgram.createSocket('udp4');
    let seq = 0n;
    const secret = Buffer.from(watcher.me.secret!, 'base64');
    const beat = () => udp.send(encodeHeartbeat(watcher.me.session!, ++seq, secret), srv.udpPort, '127.0.0.1');
    beat();
    const beating = setInterval(beat, 5000);
    cleanup.push(() => clearInterval(beating), () => udp.close(), () => watcher.close());

    // The relay: the client's heartbeats pass through here on their way to the server.
    const relay = dgram.createSocket('udp4');
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', () => r()));
    const passed: number[] = [];
    const onBeat: (() => void)[] = [];
    relay.on('message', (data) => {
      relay.send(data, srv.udpPort, '127.0.0.1');
      passed.push(Date.now());
      onBeat.splice(0).forEach((f) => f());
    });
    cleanup.push(() => relay.close());

    const real = existsSync(CLI);
    const program = real ? CLI : STAND_IN;
    const args = ['--port', String(srv.port), '--udp-port', String(relay.address().port), '--user', 'u', '--password', 'p'];
    // Its identity key goes to the test's folder, never the real home.
    const client = spawn(process.execPath, [program, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, XDG_CONFIG_HOME: dir } });
    procs.push(client);
    let said = '';
    client.stdout!.on('data', (b: Buffer) => (said += b));
    client.stderr!.on('data', (b: Buffer) => (said += b));
    if (!real) console.log('      (dist/client/main.js not built: using the stand-in client spec/e2e/beating-client.ts)');

    const joined = await watcher.next((m) => m.type === 'notice' && m.event === 'join', 10_000).catch(() => null);
    expect(joined, `the client did not log in; it said: ${said}`).to.include({ user: 'u' });
    // Kill it right after a heartbeat has gone through: the server's 20 s start now.
    const sawBeat = passed.length;
    await new Promise<void>((r) => (passed.length > sawBeat ? r() : onBeat.push(r)));
    await stop(client, 'SIGKILL');
    const killedAt = Date.now();
    const killed = passed.length;

    const offline = await watcher.next<ServerMessage<'notice'>>((m) => m.type === 'notice' && m.event === 'offline', 25_000);
    const after = Date.now() - killedAt;
    expect(passed.length).to.equal(killed); // nothing from the dead client
    expect(offline).to.include({ user: 'u' });
    expect(offline.online).to.deep.equal(['watcher']);
    // 20 s, plus up to a second for the sweep to come round, plus however late the server's
    // sweeps were on a busy machine (each late sweep moves the deadlines out by as much).
    expect(after, `offline notice ${after} ms after SIGKILL`).to.be.within(19_000, 24_000);
    // Between the kill and the offline mark the others heard nothing about u.
    const aboutU = watcher.all('notice').filter((n) => n.user === 'u').map((n) => n.event);
    expect(aboutU).to.deep.equal(['join', 'offline']);

    await stop(srv.proc);
    const log = readFileSync(join(dir, 'server.log'), 'utf8');
    expect(log).to.match(/Lost connection from u \(/);
    expect(log).to.match(/No heartbeat from u for 20 s: marked offline/);
  });
});
