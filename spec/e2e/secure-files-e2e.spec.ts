/**
 * Encrypted private chats and files with consent, end to end: two real client sessions
 * (ChatSession with a recording screen) talk through a real server over real TCP, and every
 * byte between them and the server passes a recording proxy, so a spec can look at everything
 * the server saw. Files are real files in temporary folders; the server's clock is a fake one
 * where a spec needs time to pass (an unanswered transfer), so nothing here sleeps.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClientConfig } from '../../client/config.js';
import { connect as realConnect, type Endpoint } from '../../client/connection.js';
import { openIdentity } from '../../client/secure/identity.js';
import { KnownKeys } from '../../client/secure/known-keys.js';
import { ChatSession } from '../../client/session.js';
import type { ServerMessage } from '../../common/protocol.js';
import type { ServerConfig } from '../../server/config.js';
import type { BaseConnection } from '../../server/net/connection.js';
import { ClientProcess, eventually } from '../client/client-process.js';
import { FakeUi } from '../client/fake-ui.js';
import { encryptedChat } from '../support/encrypted-chat.js';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { WAIT_MS } from '../support/wait.js';

const MiB = 1024 * 1024;

/** A TCP proxy in front of the server that keeps every byte either way: what the server sees. */
class Recorder {
  readonly seen: Buffer[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(target: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(target, '127.0.0.1');
      for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
        this.sockets.add(from);
        from.on('data', (d: Buffer) => this.seen.push(Buffer.from(d)));
        from.pipe(to);
        from.on('error', () => to.destroy());
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
      }
    });
  }

  static async open(target: number): Promise<{ rec: Recorder; port: number }> {
    const rec = new Recorder(target);
    await new Promise<void>((resolve) => rec.server.listen(0, '127.0.0.1', resolve));
    return { rec, port: (rec.server.address() as net.AddressInfo).port };
  }

  /** Everything seen so far, as one buffer. */
  get all(): Buffer {
    return Buffer.concat(this.seen);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface User {
  name: string;
  ui: FakeUi;
  session: ChatSession;
  exit: Promise<number>;
  /** Its own folder: identity, pinned keys, downloads. */
  home: string;
  downloads: string;
  /** Types a line at its prompt. */
  type(line: string): void;
}

describe('encrypted private chats and files between two clients (real server, real TCP)', function () {
  this.timeout(30_000);
  let srv: Running;
  let rec: Recorder;
  let port: number;
  const users: User[] = [];
  const folders: string[] = [];

  async function start(config: Partial<ServerConfig> = {}, clock?: FakeClock): Promise<void> {
    srv = await startServer(config, clock);
    ({ rec, port } = await Recorder.open(srv.port));
  }

  afterEach(async () => {
    for (const u of users.splice(0)) {
      u.ui.chat?.end();
      await Promise.race([u.exit, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    ClientProcess.killAll();
    await rec?.close();
    await srv?.stop();
    folders.splice(0).forEach((f) => rmSync(f, { recursive: true, force: true }));
  });

  function folder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-files-'));
    folders.push(dir);
    return dir;
  }

  /** A user's client, logged in through the recorder; `home` again for the same identity. */
  async function user(name: string, home = folder()): Promise<User> {
    const ui = new FakeUi();
    const downloads = join(home, 'downloads');
    const identityFile = join(home, 'tinychat', 'identity');
    const config = makeClientConfig({ port, user: name, password: 'pw', downloads, identityFile });
    const secure = { identity: openIdentity(identityFile), known: KnownKeys.open(join(home, 'tinychat', 'known-keys.json')) };
    const connect = (ep: Endpoint) => realConnect(ep);
    const session = new ChatSession(config, ui, { secure, connect });
    const exit = session.run();
    await ui.waitFor(/Login success!/);
    const u = { name, ui, session, exit, home, downloads, type: (line: string) => ui.chat!.line(line) };
    users.push(u);
    return u;
  }

  /** A file of `size` random bytes in a new folder; its path and SHA-256. */
  function file(name: string, size: number): { path: string; sha256: string; bytes: Buffer } {
    const bytes = randomBytes(size);
    const path = join(folder(), name);
    writeFileSync(path, bytes);
    return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes };
  }

  describe('encrypted private chats', () => {
    it('leaves nothing readable for the server: not a line, not a file name, not a file byte, in its traffic or its log', async () => {
      await start();
      const [alice, bob] = [await user('alice'), await user('bob')];
      await encryptedChat(alice, bob);
      expect(alice.ui.prompt).to.equal('alice (private: bob, encrypted)> ');
      const secrets = ['the eagle lands at midnight', 'meet me by the old mill'];
      alice.type(secrets[0]!);
      await bob.ui.waitFor(/\[encrypted\] alice -> bob: the eagle lands at midnight$/);
      bob.type(`/me ${secrets[1]}`);
      await alice.ui.waitFor(/\[encrypted\] \* bob -> alice meet me by the old mill$/);
      const f = file('plans-for-the-mill.txt', 100_000);
      alice.type(`/send bob ${f.path}`);
      await bob.ui.waitFor(/alice wants to send you plans-for-the-mill\.txt \(.*, end-to-end encrypted\) \(Y\/N\)\?/);
      bob.type('y');
      await bob.ui.waitFor(/Saved plans-for-the-mill\.txt from alice as /);
      expect(readFileSync(join(bob.downloads, 'plans-for-the-mill.txt')).equals(f.bytes)).to.equal(true);

      const seen = rec.all;
      const logs = srv.logs.join('\n');
      for (const secret of [...secrets, 'plans-for-the-mill', f.sha256]) {
        for (const form of [Buffer.from(secret), Buffer.from(secret).toString('base64').slice(0, 16)]) {
          expect(seen.includes(form), `the server saw ${secret}`).to.equal(false);
          expect(logs.includes(form.toString()), `the log holds ${secret}`).to.equal(false);
        }
      }
      // Not one run of 32 file bytes, raw or base64, anywhere in what it saw.
      for (let at = 0; at + 32 <= f.bytes.length; at += 4096) {
        const run = f.bytes.subarray(at, at + 32);
        expect(seen.includes(run) || seen.includes(run.toString('base64').slice(0, 40)), `file bytes at ${at}`).to.equal(false);
      }
      expect(seen.includes(Buffer.from('application/tinychat-e2e'))).to.equal(true);
      expect(logs).to.include('Private line from alice to bob (end-to-end encrypted)');
    });

    it('gives both sides the same safety number with /verify, and "verified" in the prompt after /verify yes', async () => {
      await start();
      const [alice, bob] = [await user('alice'), await user('bob')];
      await encryptedChat(alice, bob);
      // Three rows of four groups each, shown together.
      const SAFETY = /^\[[\d:]+\]\s+(\d{5} ){3}\d{5}$/;
      alice.type('/verify');
      bob.type('/verify');
      await alice.ui.waitFor(SAFETY);
      await bob.ui.waitFor(SAFETY);
      const number = (u: User) => u.ui.lines.filter((l) => SAFETY.test(l)).map((l) => l.replace(/^\S+\s+/, '')).join(' ');
      expect(number(alice)).to.match(/^(\d{5} ){11}\d{5}$/);
      expect(number(alice)).to.equal(number(bob));
      alice.type('/verify yes');
      await alice.ui.waitFor(/bob's key is marked as verified/);
      expect(alice.ui.prompt).to.equal('alice (private: bob, encrypted, verified)> ');
      expect(bob.ui.prompt).to.equal('bob (private: alice, encrypted)> ');
    });

    it('renews the keys after a TCP blip: the chat goes on encrypted, and the server logged the new keys only', async () => {
      await start();
      const [alice, bob] = [await user('alice'), await user('bob')];
      await encryptedChat(alice, bob);
      (srv.server.room.find('alice')!.at as BaseConnection).destroy('test: a blip');
      await alice.ui.waitFor(/Connection lost/);
      await bob.ui.waitFor(/alice reconnected: the session keys were renewed\./);
      // Lines wait until alice's client has bob's reply to the new keys (the prompt says so meanwhile).
      await eventually(() => alice.ui.prompt === 'alice (private: bob, encrypted)> ', WAIT_MS, 'the keys renewed at alice');
      alice.type('still here after the blip');
      await bob.ui.waitFor(/\[encrypted\] alice -> bob: still here after the blip$/);
      expect(rec.all.includes(Buffer.from('still here'))).to.equal(false);
      expect(alice.ui.prompt).to.equal('alice (private: bob, encrypted)> ');
    });

    it('refuses an encrypted chat with a client that cannot encrypt, in words, and never goes unencrypted unasked', async () => {
      await start();
      const alice = await user('alice');
      const old = await TestClient.login(srv.port, 'olduser'); // no features said at login: an older client
      alice.type('@PM olduser');
      await alice.ui.waitFor(/olduser's client cannot encrypt \(an IRC client, or an older tinychat\): no encrypted private chat\. To chat anyway, NOT encrypted \(the server can read it\): \/plain olduser$/);
      await old.sync();
      expect(old.received.some((m) => m.type === 'notice' && m.event === 'pm_invite')).to.equal(false);
      alice.type('/plain olduser');
      const invite = await old.notice('pm_invite');
      expect(invite.user).to.equal('alice');
      old.send({ type: 'pm_answer', from: 'alice', accept: true });
      await alice.ui.waitFor(/This private chat with olduser is NOT encrypted: the server can read it/);
      expect(alice.ui.prompt).to.equal('alice (private: olduser, NOT encrypted)> ');
      old.close();
    });
  });

  describe('files with consent', () => {
    it('sends a 5 MiB file that arrives byte-identical (SHA-256 checked), with progress on both sides', async () => {
      await start({ fileRate: 16 * MiB });
      const [alice, bob] = [await user('alice'), await user('bob')];
      const f = file('report.bin', 5 * MiB);
      alice.type(`/send bob ${f.path}`);
      await alice.ui.waitFor(/Offered report\.bin \(5\.0 MiB\) to bob; waiting for the answer \(#1/);
      await bob.ui.waitFor(/alice wants to send you report\.bin \(5\.0 MiB\) \(Y\/N\)\?  \(#1\)/);
      bob.type('y');
      await bob.ui.waitFor(/Saved report\.bin from alice as .*report\.bin \(5\.0 MiB, size and SHA-256 checked\)\./, 20_000);
      await alice.ui.waitFor(/Sent report\.bin \(5\.0 MiB\) to bob: received and checked\./);
      const got = readFileSync(join(bob.downloads, 'report.bin'));
      expect(createHash('sha256').update(got).digest('hex')).to.equal(f.sha256);
      expect(readdirSync(bob.downloads)).to.deep.equal(['report.bin']);
      for (const u of [alice, bob]) {
        expect(u.ui.bars[0]).to.match(/^start \S+ (->|<-) (bob|alice) report\.bin 5242880$/);
        expect(u.ui.bars.filter((b) => b.startsWith('update')).at(-1)).to.match(/ 5242880$/);
        expect(u.ui.bars.at(-1)).to.match(/^stop /);
      }
      expect(srv.logs.join('\n')).to.match(/File transfer \S+ from alice to bob completed \(5242880 bytes in/);
      expect(srv.logs.join('\n')).to.not.include('report.bin');
    });

    it('never overwrites: a second file of the same name is saved as "name (1).ext"', async () => {
      await start();
      const [alice, bob] = [await user('alice'), await user('bob')];
      const f = file('notes.txt', 1000);
      for (const saved of ['notes.txt', 'notes (1).txt']) {
        alice.type(`/send bob ${f.path}`);
        await bob.ui.waitFor(/alice wants to send you notes\.txt/);
        bob.ui.lines.length = 0;
        bob.type('y');
        await bob.ui.waitFor(new RegExp(`Saved notes\\.txt from alice as .*${saved.replace(/[().]/g, '\\$&')} `));
      }
      expect(readdirSync(bob.downloads).sort()).to.deep.equal(['notes (1).txt', 'notes.txt']);
    });

    it('keeps nothing after a refusal, and the sender is told', async () => {
      await start();
      const [alice, bob] = [await user('alice'), await user('bob')];
      const f = file('unwanted.zip', 2000);
      alice.type(`/send bob ${f.path}`);
      await bob.ui.waitFor(/alice wants to send you unwanted\.zip/);
      bob.type('n');
      await bob.ui.waitFor(/^\[\d\d:\d\d:\d\d\] \*\*\* You refused the file unwanted\.zip from alice$/);
      await alice.ui.waitFor(/bob refused unwanted\.zip \(2 KiB\)\./);
      expect(readdirSync(bob.home)).to.not.include('downloads');
      expect(srv.logs.join('\n')).to.match(/File transfer \S+ refused by bob/);
    });

    it('saves a name with ../ and control characters as a plain name inside --downloads', async () => {
      await start();
      const bob = await user('bob');
      // A client that lies about the name: a raw offer, as a hostile peer would send it.
      const evil = await TestClient.login(srv.port, 'mallory');
      const bytes = Buffer.from('not what it seems');
      const sha256 = createHash('sha256').update(bytes).digest('base64');
      // mallory said no features: the server only checks the receiver's; bob's client takes files.
      evil.send({ type: 'file_offer', to: 'bob', id: 'x1', size: bytes.length, name: '../../.bashrc\u001b[2J\u0007\r\n', sha256 });
      await bob.ui.waitFor(/mallory wants to send you bashrc\[2J \(17 bytes\) \(Y\/N\)\?/);
      bob.type('y');
      await evil.next((m) => m.type === 'transfer' && m.event === 'accepted');
      evil.send({ type: 'file_chunk', id: 'x1', seq: 0, data: bytes });
      await bob.ui.waitFor(/Saved bashrc\[2J from mallory as /);
      expect(readdirSync(bob.downloads)).to.deep.equal(['bashrc[2J']);
      expect(readdirSync(bob.home).sort()).to.deep.equal(['downloads', 'tinychat']);
      evil.close();
    });

    it('keeps nothing when the size lies: more bytes than offered cut the sender off, a wrong digest is refused', async () => {
      await start();
      const bob = await user('bob');
      const evil = await TestClient.login(srv.port, 'mallory');
      const bytes = Buffer.alloc(1000, 7);
      const sha256 = createHash('sha256').update(bytes).digest('base64');
      // Offered 500 bytes, sends 1000: the server cuts it off.
      evil.send({ type: 'file_offer', to: 'bob', id: 'big', size: 500, name: 'small.txt', sha256 });
      await bob.ui.waitFor(/mallory wants to send you small\.txt/);
      bob.type('y');
      await evil.next((m) => m.type === 'transfer' && m.event === 'accepted');
      evil.send({ type: 'file_chunk', id: 'big', seq: 0, data: bytes });
      const failed = await evil.next((m) => m.type === 'transfer' && m.event === 'failed');
      expect(failed).to.deep.include({ reason: 'oversent' });
      await bob.ui.waitFor(/the file small\.txt from mallory did not come: .*mallory sent more than the size offered \(cut off\); nothing was kept/);
      // The right size, the wrong digest: bob's client checks and keeps nothing.
      bob.ui.lines.length = 0;
      evil.send({ type: 'file_offer', to: 'bob', id: 'bad', size: 1000, name: 'fake.txt', sha256: Buffer.alloc(32).toString('base64') });
      await bob.ui.waitFor(/mallory wants to send you fake\.txt/);
      bob.type('y');
      await evil.next((m) => m.type === 'transfer' && m.event === 'accepted' && m.id === 'bad');
      evil.send({ type: 'file_chunk', id: 'bad', seq: 0, data: bytes });
      await bob.ui.waitFor(/the file fake\.txt from mallory was not kept: it does not match the size and SHA-256 mallory announced/);
      const verdict = await evil.next((m) => m.type === 'transfer' && m.id === 'bad' && m.event === 'failed');
      expect(verdict).to.deep.include({ reason: 'check' });
      await eventually(() => readdirSync(bob.downloads).length === 0, WAIT_MS, 'the partial file removed');
      evil.close();
    });

    it('tells the receiver and keeps nothing when the sender is killed mid-transfer', async () => {
      // Slow enough (256 KiB/s) that the 2 MiB file is still on its way when the sender dies.
      await start({ fileRate: 256 * 1024 });
      const bob = await user('bob');
      const f = file('half.bin', 2 * MiB);
      const home = folder();
      const alice = new ClientProcess(['--port', String(port), '--user', 'alice', '--password', 'pw'], {}, home);
      await alice.waitFor(/Login success!/);
      alice.write(`/send bob ${f.path}`);
      await bob.ui.waitFor(/alice wants to send you half\.bin/);
      bob.type('y');
      await eventually(() => bob.ui.bars.some((b) => /^update \S+ \d+$/.test(b)), WAIT_MS, 'some chunks received');
      alice.kill();
      await bob.ui.waitFor(/the file half\.bin from alice did not come: .*alice's connection was lost.*; nothing was kept/);
      await eventually(() => readdirSync(bob.downloads).length === 0, WAIT_MS, 'the partial file removed');
      expect(srv.logs.join('\n')).to.match(/File transfer \S+ from alice to bob failed after \d+ of 2097152 bytes: lost/);
    });

    it('holds a receiver that stops reading to the window, and ends the transfer after --pm-timeout without progress', async () => {
      const clock = new FakeClock(Date.now());
      // Fake time moves only for the stall; heartbeats (real time) must not go stale meanwhile.
      await start({ pmTimeout: 30, heartbeatTimeout: 600, maxOutput: MiB }, clock);
      const alice = await user('alice');
      const slow = await TestClient.connect(srv.port);
      await slow.request({ type: 'login', user: 'slow', password: 'pw', features: ['files'] }, (m) => m.type === 'login_ok');
      const f = file('big.bin', 3 * MiB);
      alice.type(`/send slow ${f.path}`);
      const offer = await slow.next<ServerMessage<'transfer'>>((m) => m.type === 'transfer' && m.event === 'offer');
      slow.send({ type: 'file_answer', from: 'alice', id: offer.id, accept: true });
      slow.socket.pause();
      // For want of acknowledgements the sender stops at the window (a quarter of --max-output).
      const window = MiB / 4;
      await eventually(() => sentBytes() > window - 32 * 1024, WAIT_MS, 'the window filled');
      const before = sentBytes();
      expect(before).to.be.at.most(window);
      clock.advance(31_000);
      await alice.ui.waitFor(/did not go through: .*it made no progress for too long/);
      expect(srv.server.files.size).to.equal(0);
      expect(sentBytes()).to.equal(before);
      expect(srv.logs.join('\n')).to.match(/File transfer \S+ from alice to slow failed after \d+ of 3145728 bytes: stalled/);
      slow.close();

      /** File bytes alice sent: the body lengths of her file_chunk frames, as the recorder saw them. */
      function sentBytes(): number {
        let total = 0;
        for (const m of rec.all.toString('latin1').matchAll(/"type":"file_chunk","id":"[^"]+","seq":\d+,"content-length":(\d+)/g)) total += Number(m[1]);
        return total;
      }
    });
  });
});
