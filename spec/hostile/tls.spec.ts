/**
 * TLS on the wire: a TLS server with the test certificate serves TLS clients; a plaintext client
 * on the TLS port and a TLS client on a plaintext port fail cleanly; certificate mistakes stop
 * the server with one clear line.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { encodeMessage } from '../../common/codec.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { FakeClock } from '../support/fake-clock.js';
import { connectFrom, connectRaw, connectTls, logged, TEST_CERT, TEST_KEY } from './support.js';
import { waitUntil } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));

describe('hostile: TLS', function () {
  this.timeout(15_000);
  let srv: Running;
  afterEach(async () => srv.stop());

  it('serves login and chat to TLS clients that trust the certificate', async () => {
    srv = await startServer({ tlsCert: TEST_CERT, tlsKey: TEST_KEY });
    const alice = await connectTls(srv.port);
    const bob = await connectTls(srv.port);
    expect(await alice.next()).to.include({ type: 'hello' });
    expect(await alice.request({ type: 'login', user: 'alice', password: 'pw' }, (m) => m.type !== 'hello')).to.include({
      type: 'login_ok',
    });
    await bob.request({ type: 'login', user: 'bob', password: 'pw' }, (m) => m.type === 'login_ok');
    alice.send({ type: 'say', text: 'over TLS 🔒' });
    expect(await bob.line()).to.include({ from: 'alice', text: 'over TLS 🔒' });
    expect((alice.socket as tls.TLSSocket).getProtocol()).to.match(/^TLSv1\.[23]$/);
  });

  it('refuses a client that does not trust the certificate', async () => {
    srv = await startServer({ tlsCert: TEST_CERT, tlsKey: TEST_KEY });
    const error = await new Promise<Error>((resolve) => {
      const s = tls.connect({ port: srv.port, host: '127.0.0.1' }, () => resolve(new Error('connected')));
      s.once('error', resolve);
    });
    expect((error as NodeJS.ErrnoException).code).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('drops a plaintext client on the TLS port, logs it, and keeps serving', async () => {
    srv = await startServer({ tlsCert: TEST_CERT, tlsKey: TEST_KEY });
    const plain = await connectRaw(srv.port);
    plain.socket.write(encodeMessage({ type: 'who' }));
    await plain.closed;
    expect(plain.received().includes('hello'), 'no plaintext frame').to.equal(false);
    await waitUntil(() => logged(srv.logs, 'TLS handshake failed from 127.0.0.1').length === 1, 'the log line');
    const c = await connectTls(srv.port);
    expect(await c.request({ type: 'login', user: 'carol', password: 'pw' }, (m) => m.type !== 'hello')).to.include({
      type: 'login_ok',
    });
  });

  it('logs failed handshakes once a minute per address, then their count: probes of the TLS port cannot flood the log', async () => {
    const clock = new FakeClock();
    srv = await startServer({ tlsCert: TEST_CERT, tlsKey: TEST_KEY }, clock);
    const probe = async (from: string) => {
      const c = await connectFrom(srv.port, from);
      c.raw('GET / HTTP/1.0\r\n\r\n');
      await c.whenClosed();
    };
    for (let i = 0; i < 5; i++) await probe('127.0.0.1');
    await probe('127.0.0.2');
    expect(logged(srv.logs, 'TLS handshake failed from 127.0.0.1')).to.have.length(1);
    expect(logged(srv.logs, 'TLS handshake failed from 127.0.0.2')).to.have.length(1);
    clock.advance(60_000);
    const summary = logged(srv.logs, 'more failed TLS handshakes');
    expect(summary).to.have.length(1);
    expect(summary[0]).to.include('4 more failed TLS handshakes from 127.0.0.1 in the last minute');
    // A new minute: the next failure is a line again.
    await probe('127.0.0.1');
    expect(logged(srv.logs, 'TLS handshake failed from 127.0.0.1')).to.have.length(2);
  });

  it('closes a connection that never completes the handshake at the login deadline', async () => {
    // The handshake runs before the server's own clock can see the connection, so this deadline
    // is Node's real handshakeTimeout: keep it short here.
    srv = await startServer({ tlsCert: TEST_CERT, tlsKey: TEST_KEY, loginTimeout: 0.3 });
    const silent = await connectRaw(srv.port);
    const started = Date.now();
    await silent.closed;
    expect(Date.now() - started).to.be.within(200, 5000);
    await waitUntil(() => logged(srv.logs, 'TLS handshake failed from 127.0.0.1').length === 1, 'the log line');
  });

  it('fails a TLS client on a plaintext port with a TLS error, logs it, and keeps serving', async () => {
    srv = await startServer();
    const error = await connectTls(srv.port).then(
      () => new Error('connected'),
      (e: NodeJS.ErrnoException) => e,
    );
    expect((error as NodeJS.ErrnoException).code).to.match(/^ERR_SSL_/);
    await waitUntil(() => logged(srv.logs, 'TLS handshake on a plaintext port').length === 1, 'the log line');
    expect((await TestClient.login(srv.port, 'dave')).me.user).to.equal('dave');
  });
});

describe('hostile: TLS start-up errors', function () {
  this.timeout(15_000);
  let dir: string;
  let runs = 0;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-tls-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the built server with these TLS options; it must exit 1 with one line on stderr. */
  async function refused(...tlsArgs: string[]): Promise<string> {
    const db = join(dir, `users-${++runs}.json`); // runs in parallel: one users file (and lock) each
    const args = [MAIN, '--port', '0', '--udp-port', '0', '--db', db, '--log', '', ...tlsArgs];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).to.equal(1);
    const lines = stderr.trim().split('\n');
    expect(lines, stderr).to.have.length(1);
    // The TLS files are checked before anything is created.
    expect(existsSync(db), 'no users file left behind').to.equal(false);
    return lines[0]!;
  }

  it('names a missing certificate or key file', async () => {
    const missing = join(dir, 'nope.pem');
    const [cert, key] = await Promise.all([
      refused('--tls-cert', missing, '--tls-key', TEST_KEY),
      refused('--tls-cert', TEST_CERT, '--tls-key', missing),
    ]);
    expect(cert).to.equal(`chat-server: cannot read TLS certificate ${missing}: no such file`);
    expect(key).to.equal(`chat-server: cannot read TLS key ${missing}: no such file`);
  });

  it('names an unreadable file', async () => {
    expect(await refused('--tls-cert', dir, '--tls-key', TEST_KEY)).to.equal(
      `chat-server: cannot read TLS certificate ${dir}: it is a folder`,
    );
  });

  it('names files that are not a usable certificate and key', async () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const [line, swapped] = await Promise.all([
      refused('--tls-cert', junk, '--tls-key', TEST_KEY),
      refused('--tls-cert', TEST_KEY, '--tls-key', TEST_CERT),
    ]);
    expect(line).to.include(`chat-server: TLS certificate ${junk} and key ${TEST_KEY} are not usable:`);
    expect(swapped).to.include(`chat-server: TLS certificate ${TEST_KEY} and key ${TEST_CERT} are not usable:`);
  });

  it('wants both options', async () => {
    expect(await refused('--tls-cert', TEST_CERT)).to.equal('chat-server: --tls-cert and --tls-key go together');
  });
});
