/**
 * The built chat-client, end to end: a real server in this process, the client as a child process
 * fed through a pipe, and TestClients as the other users.
 */
import { expect } from 'chai';
import type { BaseConnection } from '../../server/net/connection.js';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMessage } from '../../common/codec.js';
import { parseHeartbeat } from '../../common/heartbeat.js';
import { consoleCommand } from '../../server/console.js';
import { NAME_RULE } from '../../common/names.js';
import type { ServerMessage } from '../../common/protocol.js';
import { spawn } from 'node:child_process';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { WAIT_MS, waitUntil } from '../support/wait.js';
import { ClientProcess, eventually } from './client-process.js';
import { FakeServer, flood, loginOk } from './fake-server.js';

const VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
const fixture = (name: string) => fileURLToPath(new URL(`../../../spec/fixtures/${name}`, import.meta.url));
const CERT = fixture('test-cert.pem');
const CLIENT = fileURLToPath(new URL('../../client/main.js', import.meta.url));
const KEY = fixture('test-key.pem');

describe('chat-client (built, through a pipe)', function () {
  this.timeout(30_000);
  const servers: Running[] = [];
  const peers: TestClient[] = [];

  async function server(config: Parameters<typeof startServer>[0] = {}): Promise<Running> {
    const s = await startServer(config);
    servers.push(s);
    return s;
  }
  async function peer(port: number, name: string, password = 'pw'): Promise<TestClient> {
    const c = await TestClient.login(port, name, password);
    peers.push(c);
    return c;
  }
  function client(port: number, ...args: string[]): ClientProcess {
    return new ClientProcess(['--port', String(port), ...args]);
  }
  /** A client logged in as `user` with password "pw". */
  async function loggedIn(port: number, user: string, ...args: string[]): Promise<ClientProcess> {
    const c = client(port, '--user', user, '--password', 'pw', ...args);
    await c.waitFor(/Login success!/);
    return c;
  }

  afterEach(async () => {
    ClientProcess.killAll();
    peers.splice(0).forEach((p) => p.close());
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('logs in, says hello to the group, shows what others say (escaped), and quits with exit 0', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = client(srv.port, '--user', 'alice', '--password', 'pw');
    expect(await alice.waitFor(/Login success!/)).to.match(/^\[\d\d:\d\d:\d\d\] Login success! \(new account alice created\)$/);
    await alice.waitFor(/\/help/);
    await alice.waitFor(/\* Online \(2\): alice, bob$/);
    alice.write('hello everyone');
    expect(await bob.line()).to.include({ from: 'alice', scope: 'group', text: 'hello everyone' });
    bob.send({ type: 'say', text: 'hi\u202e there\nsecond line' });
    await alice.waitFor(/^\[\d\d:\d\d:\d\d\] bob: hi\\u202e there$/);
    // Each further line of a message two blanks in, whatever its prefix: a script strips those two.
    expect(await alice.waitFor(/second line/)).to.equal('  second line');
    bob.send({ type: 'dm', to: 'alice', text: 'psst\n  indented' });
    await alice.waitFor(/\[private\] bob -> alice: psst$/);
    expect(await alice.waitFor(/indented/)).to.equal('    indented');
    alice.write('quit');
    expect(await alice.exitCode()).to.equal(0);
    expect(alice.out).to.satisfy((lines: string[]) => lines.some((l) => /\* Goodbye, alice!/.test(l)));
    expect((await bob.notice('leave')).user).to.equal('alice');
  });

  it('shows each line of a multi-line message of the day, after the lines replayed at login', async () => {
    const srv = await server({ rateCount: 100 });
    srv.server.room.motd = 'Welcome to S2!\nBe nice.';
    const bob = await peer(srv.port, 'bob');
    for (let i = 1; i <= 25; i++) bob.send({ type: 'say', text: `line ${i}` });
    await bob.sync();
    const alice = await loggedIn(srv.port, 'alice');
    await alice.waitFor(/\(history\) bob: line 25$/);
    expect(await alice.waitFor(/Welcome/)).to.match(/^\[\d\d:\d\d:\d\d\] \*\*\* Welcome to S2!$/);
    expect(await alice.waitFor(/Be nice/)).to.equal('  Be nice.');
    expect(alice.out.findIndex((l) => l.includes('Be nice'))).to.equal(alice.out.findIndex((l) => l.includes('Welcome')) + 1);
    alice.kill();
  });

  it('never reads a password from a pipe unless told to: one line and exit 1, before connecting', async () => {
    const srv = await server();
    const alice = client(srv.port, '--user', 'alice');
    alice.write('my first chat line');
    expect(await alice.exitCode()).to.equal(1);
    expect(alice.err).to.deep.equal([
      'chat-client: no password: without a terminal, set CHAT_PASSWORD, or pass --password or --password-stdin (see --help)',
    ]);
    expect(alice.out).to.deep.equal([]);
    expect(srv.server.counters.connections).to.equal(0);
  });

  it('pages back through the history with /history typed several times at once, each page once, then leaves', async () => {
    const srv = await server({ historyOnJoin: 2, rateCount: 100 });
    const bob = await peer(srv.port, 'bob');
    for (let i = 1; i <= 9; i++) bob.send({ type: 'say', text: `u${i}` });
    for (let i = 1; i <= 9; i++) await bob.line();
    const alice = client(srv.port, '--user', 'alice', '--password', 'pw');
    await alice.waitFor(/bob: u9$/);
    for (let i = 0; i < 3; i++) alice.write('/history 3');
    alice.end();
    expect(await alice.exitCode()).to.equal(0);
    const shown = alice.out.flatMap((l) => /bob: (u\d)$/.exec(l)?.slice(1) ?? []);
    // u8 and u9 at login, then three pages going back: each line once.
    expect(shown).to.deep.equal(['u8', 'u9', 'u5', 'u6', 'u7', 'u2', 'u3', 'u4', 'u1']);
  });

  it('says why and exits 1 when the operator removes the user, rather than coming back', async () => {
    const srv = await server();
    const alice = await loggedIn(srv.port, 'alice');
    expect(consoleCommand(srv.server, 'kick alice spam')).to.equal('Kicked alice: spam');
    await alice.waitFor(/You were removed from the chat by the operator: spam$/);
    expect(await alice.exitCode()).to.equal(1);
  });

  it('--password-stdin takes the first line as the password and the rest as chat', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = client(srv.port, '--user', 'alice', '--password-stdin');
    alice.write('s3cret');
    alice.write('hello from a script');
    alice.end();
    expect(await bob.line()).to.include({ from: 'alice', text: 'hello from a script' });
    expect(await alice.exitCode()).to.equal(0);
    expect(alice.transcript).not.to.include('s3cret');
    expect(alice.out.some((l) => l.startsWith('Password:'))).to.equal(false);
  });

  it('--password-stdin: a wrong password exits 1 without asking again; no line at all is one error', async () => {
    const srv = await server();
    await peer(srv.port, 'alice', 'right');
    const wrong = client(srv.port, '--user', 'alice', '--password-stdin');
    wrong.write('wrong');
    wrong.write('right');
    await wrong.waitFor(/! wrong password$/);
    expect(await wrong.exitCode()).to.equal(1);
    expect(wrong.out.some((l) => /Password:|Login success/.test(l))).to.equal(false);
    const none = client(srv.port, '--user', 'alice', '--password-stdin');
    none.end();
    expect(await none.exitCode()).to.equal(1);
    expect(none.err).to.deep.equal(['chat-client: --password-stdin: the input ended before a password line']);
  });

  it('after a refused guest login, gives up in a pipe instead of reading chat lines as answers', async () => {
    const srv = await server();
    await peer(srv.port, 'bob');
    const c = client(srv.port, '--user', 'carol', '--password', '');
    c.write('hello');
    await c.waitFor(/! guest logins are disabled on this server; choose a password to register$/);
    expect(await c.exitCode()).to.equal(1);
    expect(c.out.some((l) => /^(Username|Password):/.test(l))).to.equal(false);
  });

  it('/verify and /trust outside an encrypted private chat: one error line each, nothing sent', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = await loggedIn(srv.port, 'alice');
    const typed = async (line: string, error: RegExp) => {
      const before = alice.out.length;
      alice.write(line);
      await alice.waitFor(error);
      await bob.sync();
      return alice.out.slice(before);
    };
    // In the group, then in a private chat that is not encrypted (/plain).
    for (const where of ['group', 'plain private chat']) {
      if (where !== 'group') {
        alice.write('/plain bob');
        await bob.notice('pm_invite');
        bob.send({ type: 'pm_answer', accept: true });
        await alice.waitFor(/! This private chat with bob is NOT encrypted/);
      }
      for (const line of ['/verify', '/verify yes']) {
        expect(await typed(line, /! \/verify works inside an encrypted private chat$/), `${line} in the ${where}`).to.have.length(1);
      }
      expect(await typed('/trust bob', /! bob's key has not changed: nothing to trust$/), `/trust in the ${where}`).to.have.length(1);
    }
    expect(bob.all('msg'), 'nothing reached bob').to.deep.equal([]);
  });

  it('exits 1 when the name is online already, saying to log out there or to try again once a lost session ends', async () => {
    const srv = await server();
    await peer(srv.port, 'alice');
    const alice = new ClientProcess(['--port', String(srv.port), '--user', 'alice'], { CHAT_PASSWORD: 'pw' });
    expect(await alice.exitCode()).to.equal(1);
    expect(alice.out.map((l) => l.replace(/^\[\d\d:\d\d:\d\d\] /, ''))).to.deep.equal([
      '! alice is already logged in',
      'Another client is logged in as alice; log out there to use this one.',
      'If that client is gone (asleep, network lost), the server ends its session after its heartbeat timeout, 20 s by default: try again then.',
    ]);
  });

  it('exits 1 when the password from CHAT_PASSWORD is wrong', async () => {
    const srv = await server();
    await peer(srv.port, 'alice', 'right');
    const alice = new ClientProcess(['--port', String(srv.port), '--user', 'alice'], { CHAT_PASSWORD: 'wrong' });
    await alice.waitFor(/! wrong password$/);
    expect(await alice.exitCode()).to.equal(1);
    expect(alice.out.some((l) => l.startsWith('Password:'))).to.equal(false);
  });

  it('never takes a piped line for the username: without --user, one line and exit 1, before connecting', async () => {
    const srv = await server();
    for (const args of [[], ['--password-stdin']]) {
      const c = new ClientProcess(['--port', String(srv.port), ...args], { CHAT_PASSWORD: 'pw' });
      c.write('hi');
      expect(await c.exitCode(), args.join(' ')).to.equal(1);
      expect(c.err, args.join(' ')).to.deep.equal(['chat-client: no username: without a terminal, pass --user (see --help)']);
      expect(c.out, args.join(' ')).to.deep.equal([]);
    }
    expect(srv.server.counters.connections).to.equal(0);
  });

  it('logs in as a guest with an empty username and password, where the server allows guests', async () => {
    const srv = await server({ allowGuests: true });
    const c = client(srv.port, '--user', '', '--password', '');
    await c.waitFor(/Login success!/);
    await c.waitFor(/\* Online \(1\): Guest_[0-9a-f]{6}$/);
    c.end();
    expect(await c.exitCode()).to.equal(0);
  });

  it('answers a private chat request with Y, then talks privately', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = await loggedIn(srv.port, 'alice');
    bob.send({ type: 'pm_request', to: 'alice' });
    // bob's client sent no key: alice is told before she answers that the chat would not be encrypted.
    await alice.waitFor(/\* bob wants a private chat with you, NOT ENCRYPTED: no key came with the request \(bob asked for a plain chat, or bob's client cannot encrypt\), so the server can read it \(Y\/N\)\?$/);
    alice.write('Y');
    expect((await bob.notice('pm_started')).user).to.equal('alice');
    await alice.waitFor(/private chat with bob/);
    alice.write('just between us');
    expect(await bob.line()).to.include({ from: 'alice', to: 'bob', scope: 'private', text: 'just between us' });
    await alice.waitFor(/^\[\d\d:\d\d:\d\d\] \[private\] alice -> bob: just between us$/);
    alice.write('/all to everyone');
    expect(await bob.line()).to.include({ from: 'alice', scope: 'group', text: 'to everyone' });
    alice.write('EXIT PM');
    expect((await bob.notice('pm_ended')).user).to.equal('alice');
  });

  it('/plain from a client that can encrypt: the invitation says NOT ENCRYPTED without blaming the asker\'s client', async () => {
    const srv = await server();
    const alice = await loggedIn(srv.port, 'alice');
    const bob = await loggedIn(srv.port, 'bob');
    alice.write('/plain bob');
    const invite = await bob.waitFor(/wants a private chat with you/);
    expect(invite).to.match(/\* alice wants a private chat with you, NOT ENCRYPTED: no key came with the request \(alice asked for a plain chat, or alice's client cannot encrypt\)/);
    expect(invite).to.not.match(/: alice's client cannot encrypt/);
  });

  it('/msg to an offline account: says it is kept, and shows the line kept (no echo will)', async () => {
    const srv = await server();
    const carol = await peer(srv.port, 'carol');
    carol.send({ type: 'logout' });
    await carol.whenClosed();
    const alice = await loggedIn(srv.port, 'alice');
    alice.write('/msg carol see you tomorrow');
    await alice.waitFor(/\* carol is offline; your message will be delivered when carol logs in$/);
    expect(await alice.waitFor(/alice -> carol/)).to.match(/^\[\d\d:\d\d:\d\d\] \[private\] alice -> carol: see you tomorrow$/);
    expect(alice.out.findIndex((l) => l.includes('alice -> carol'))).to.equal(alice.out.findIndex((l) => l.includes('carol is offline')) + 1);
  });

  it('sends /msg privately, lists users with /who, and answers /help and typos locally', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = await loggedIn(srv.port, 'alice');
    alice.write('/msg bob psst');
    expect(await bob.line()).to.include({ from: 'alice', to: 'bob', scope: 'private', text: 'psst' });
    await alice.waitFor(/\[private\] alice -> bob: psst$/);
    alice.write('@bob again');
    expect(await bob.line()).to.include({ scope: 'private', text: 'again' });
    alice.write('/who');
    await alice.waitFor(/\* Online \(2\): alice, bob$/);
    alice.write('/help');
    await alice.waitFor(/@PM NAME +ask NAME for an encrypted private chat$/);
    await alice.waitFor(/Type \/help all for every command and key\.$/);
    alice.write('/help all');
    await alice.waitFor(/@PM NAME +ask NAME for an end-to-end encrypted private chat$/);
    await alice.waitFor(/Ctrl-D +log out \(on an empty line\)$/);
    alice.write('/nick x');
    await alice.waitFor(/! unknown command \/nick; type \/help for the list$/);
    alice.write('/msg zed hi');
    await alice.waitFor(/! not delivered \(there is no account named zed\): hi$/);
  });

  it('refuses a line longer than the server announces it takes, and stays connected', async () => {
    const srv = await server({ maxBody: 100 });
    const bob = await peer(srv.port, 'bob');
    const alice = await loggedIn(srv.port, 'alice');
    alice.write('x'.repeat(150));
    await alice.waitFor(/! message too long: 150 bytes, the limit is 100; not sent$/);
    alice.write('short');
    expect(await bob.line()).to.include({ from: 'alice', text: 'short' });
  });

  it('logs out at the end of its input, after sending what was piped in', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = client(srv.port, '--user', 'alice', '--password', 'pw');
    alice.write('scripted line');
    alice.end();
    expect(await bob.line()).to.include({ from: 'alice', text: 'scripted line' });
    expect(await alice.exitCode()).to.equal(0);
    expect((await bob.notice('leave')).user).to.equal('alice');
  });

  it('sends heartbeats the server accepts, and to --udp-port when given', async () => {
    const srv = await server();
    await loggedIn(srv.port, 'alice', '--heartbeat-interval', '0.05');
    await eventually(() => srv.server.counters.datagramsAccepted >= 2, WAIT_MS, 'two accepted heartbeats');

    const relay = dgram.createSocket('udp4');
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', r));
    const got = new Promise<Buffer>((r) => relay.once('message', r));
    const bob = await loggedIn(srv.port, 'bob', '--udp-port', String(relay.address().port));
    try {
      const beat = parseHeartbeat(await got);
      expect(beat).to.include({ session: srv.server.room.find('bob')!.id, seq: 1n });
    } finally {
      relay.close();
      bob.kill();
    }
  });

  it('beats often enough for a server whose timeout is shorter than --heartbeat-interval, and says so once', async () => {
    const srv = await server({ heartbeatTimeout: 1 });
    const alice = await loggedIn(srv.port, 'alice', '--heartbeat-interval', '30');
    expect(await alice.waitFor(/too far apart/)).to.match(
      /^\[\d\d:\d\d:\d\d\] Heartbeats every 30 s \(--heartbeat-interval\) are too far apart for this server, which marks you offline after 1 s without one: beating every 0\.25 s instead\.$/,
    );
    // Six beats: more than the timeout has gone by since the login, and alice is still online.
    await eventually(() => srv.server.counters.datagramsAccepted >= 6, WAIT_MS, 'six accepted heartbeats');
    expect(srv.server.room.find('alice')).to.not.equal(undefined);
    expect(alice.transcript).to.not.match(/marked offline/);
    expect(alice.out.filter((l) => /too far apart/.test(l))).to.have.length(1);
  });

  it('a receiver killed mid-transfer leaves a temporary file, which the next client in that folder removes once it is dead', async () => {
    const srv = await server();
    const downloads = mkdtempSync(join(tmpdir(), 'chat-downloads-'));
    try {
      const parts = () => readdirSync(downloads).filter((n) => n.endsWith('.part'));
      const bob = await loggedIn(srv.port, 'bob', '--downloads', downloads);
      const alice = await peer(srv.port, 'alice');
      const sha256 = createHash('sha256').update(Buffer.alloc(100_000)).digest('base64');
      alice.send({ type: 'file_offer', to: 'bob', id: 'k9', size: 100_000, name: 'big.bin', sha256 });
      await bob.waitFor(/alice wants to send you big\.bin/);
      bob.write('y');
      await alice.next((m) => m.type === 'transfer' && m.event === 'accepted');
      alice.send({ type: 'file_chunk', id: 'k9', seq: 0, data: Buffer.alloc(1000) });
      await alice.next((m) => m.type === 'file_ack');
      bob.kill();
      await bob.exited;
      expect(parts()).to.have.length(1);
      // A client starting in the folder leaves a temporary file that may be another's, being written...
      (await loggedIn(srv.port, 'carol', '--downloads', downloads)).kill();
      expect(parts()).to.have.length(1);
      // ...and removes it once untouched for longer than any receiver lets its own go.
      const old = new Date(Date.now() - 11 * 60_000);
      utimesSync(join(downloads, parts()[0]!), old, old);
      await loggedIn(srv.port, 'dave', '--downloads', downloads);
      await eventually(() => parts().length === 0, WAIT_MS, 'the dead temporary file removed');
    } finally {
      rmSync(downloads, { recursive: true, force: true });
    }
  });

  it('reconnects and resumes its session when the connection drops', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = await loggedIn(srv.port, 'alice');
    const session = srv.server.room.find('alice')!;
    const { id } = session;
    for (const time of ['once', 'twice']) {
      (session.at as BaseConnection).destroy('test: cut the wire');
      await alice.waitFor(/Connection lost \(closed by the server\), reconnecting…$/);
      await alice.waitFor(/Reconnected$/);
      alice.write(`back again ${time}`);
      expect(await bob.line()).to.include({ from: 'alice', text: `back again ${time}` });
      // Resumed with its token (a password login would have given the session a new id); the
      // second time with the token the first resume gave it.
      expect(session.id, time).to.equal(id);
    }
    await bob.sync();
    expect(bob.all('notice').filter((n) => n.user === 'alice' && n.event !== 'join')).to.deep.equal([]);
  });

  it('says why the connection was lost: a bad frame from the server', async () => {
    // A stand-in server: greets, accepts any login, then sends a frame with an empty header.
    const hello: ServerMessage<'hello'> = { type: 'hello', server: 'fake', version: '1', guests: false };
    const ok: ServerMessage<'login_ok'> = { type: 'login_ok', user: 'alice', created: false, guest: false };
    const fake = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.write(encodeMessage(hello));
      socket.once('data', () => {
        socket.write(encodeMessage(ok));
        socket.write(Buffer.from([0, 0]));
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const alice = await loggedIn((fake.address() as net.AddressInfo).port, 'alice');
      expect(await alice.waitFor(/Connection lost/)).to.match(
        /^\[\d\d:\d\d:\d\d\] Connection lost \(the server sent a bad frame: malformed frame: [^)]+\), reconnecting…$/,
      );
      alice.kill();
    } finally {
      fake.close();
    }
  });

  it('logs in again with its password after a server restart, and reports lines typed meanwhile', async () => {
    const first = await server();
    const alice = client(first.port, '--user', 'alice', '--heartbeat-interval', '0.05', '--password-stdin');
    alice.write('pw');
    await alice.waitFor(/Login success!/);
    await servers.shift()!.stop();
    await alice.waitFor(/\* Server is shutting down$/);
    await alice.waitFor(/Connection lost \(closed by the server\), reconnecting…$/);
    alice.write('anyone there?');
    await alice.waitFor(/! not delivered \(not connected\): anyone there\?$/);
    const second = await server({ port: first.port });
    await alice.waitFor(/logged in again as alice/);
    const bob = await peer(second.port, 'bob');
    alice.write('I am back');
    expect(await bob.line()).to.include({ from: 'alice', text: 'I am back' });
    await eventually(() => second.server.counters.datagramsAccepted > 0, WAIT_MS, 'a heartbeat on the new session');
  });

  it('says the connection is lost, past the heartbeat timeout that others see it offline, and logs in again when the server is back', async () => {
    const srv = await server({ heartbeatTimeout: 1 });
    const alice = await loggedIn(srv.port, 'alice');
    await servers.shift()!.stop();
    await alice.waitFor(/Connection lost \(closed by the server\), reconnecting…$/);
    await alice.waitFor(/No connection for 1 s: others now see you offline\. Still trying/);
    await server({ port: srv.port, heartbeatTimeout: 1 });
    await alice.waitFor(/logged in again as alice/);
    alice.write('/quit');
    expect(await alice.exitCode()).to.equal(0);
  });

  it('exits 1 when another connection takes its session over', async () => {
    const srv = await server();
    const alice = await loggedIn(srv.port, 'alice');
    const session = srv.server.room.find('alice')!;
    const thief = await TestClient.connect(srv.port);
    peers.push(thief);
    thief.send({ type: 'resume', session: session.id, token: session.token });
    await alice.waitFor(/\* Your session was resumed from another connection$/);
    expect(await alice.exitCode()).to.equal(1);
  });

  describe('a hostile server', () => {
    const fakes: FakeServer[] = [];
    afterEach(async () => Promise.all(fakes.splice(0).map((f) => f.close())));

    /** A server that answers the login with `reply`. */
    async function answering(reply: ServerMessage<'login_ok'>): Promise<FakeServer> {
      const fake = await FakeServer.start((socket, m) => {
        if (m.type === 'login') FakeServer.send(socket, reply);
      });
      fakes.push(fake);
      return fake;
    }

    it('refuses a number out of range in login_ok as a protocol error, in words, exit 1', async () => {
      for (const [fields, why] of [
        [{ udpPort: 0 }, 'udpPort 0 is outside 1–65535'],
        [{ timeout: 1e12 }, 'timeout 1000000000000 is outside 1–86400'],
        [{ count: -1 }, 'count -1 is outside 0–1000000000'],
      ] as const) {
        const fake = await answering(loginOk(fields));
        const c = client(fake.port, '--user', 'alice', '--password', 'pw');
        expect(await c.exitCode(), why).to.equal(1);
        expect(c.out.at(-1), c.transcript).to.match(new RegExp(`! the connection closed during login \\(the server sent a bad login_ok: ${why}\\)$`));
        expect(c.err, why).to.deep.equal([]);
      }
    });

    it('stops reading from the server while nobody reads its stdout, so its memory stays bounded', async () => {
      let socket: net.Socket | null = null;
      const fake = await FakeServer.start((s, m) => {
        if (m.type !== 'login') return;
        FakeServer.send(s, loginOk());
        socket = s;
      });
      fakes.push(fake);
      // Its stdout is a pipe this test does not read. Its identity key goes to a temporary folder.
      const home = mkdtempSync(join(tmpdir(), 'chat-client-'));
      const env = { ...process.env, XDG_CONFIG_HOME: home };
      const child = spawn(process.execPath, [CLIENT, '--port', String(fake.port), '--user', 'alice', '--password', 'pw'], { stdio: ['pipe', 'pipe', 'ignore'], env });
      child.stdout.pause();
      try {
        await waitUntil(() => socket !== null, 'the login');
        // The client takes in a few megabytes (its output bound, the pipe, the kernel's buffers), then stops.
        const first = await flood(socket!, 64 << 20);
        expect(first.stalled, `${first.delivered} bytes delivered`).to.equal(true);
        expect(first.delivered).to.be.below(32 << 20);
        // Read its output, and it reads again.
        child.stdout.resume();
        // A long quiet window: a busy machine may pause the client for a moment without it having stopped.
        expect((await flood(socket!, first.delivered + (8 << 20), 5000)).stalled).to.equal(false);
      } finally {
        child.kill('SIGKILL');
        rmSync(home, { recursive: true, force: true });
      }
    });
  });

  describe('TLS', () => {
    it('logs in over TLS trusting a self-signed certificate with --ca', async () => {
      const srv = await server({ tlsCert: CERT, tlsKey: KEY });
      const alice = await loggedIn(srv.port, 'alice', '--tls', '--ca', CERT);
      alice.write('quit');
      expect(await alice.exitCode()).to.equal(0);
    });

    it('tells a plaintext client that the server speaks TLS', async () => {
      const srv = await server({ tlsCert: CERT, tlsKey: KEY });
      const c = client(srv.port, '--user', 'alice', '--password', 'pw');
      expect(await c.exitCode()).to.equal(1);
      expect(c.err, c.transcript).to.deep.equal(['chat-client: server is speaking TLS; add --tls (and --ca FILE for a self-signed certificate)']);
    });

    it('tells a TLS client that the server does not speak TLS', async () => {
      const srv = await server();
      const c = client(srv.port, '--tls', '--user', 'alice', '--password', 'pw');
      expect(await c.exitCode()).to.equal(1);
      expect(c.err).to.deep.equal(['chat-client: server does not speak TLS; drop --tls']);
    });

    it('says the certificate is for other names, not "pass --ca", when it is trusted but the host differs', async () => {
      const srv = await server({ host: '127.0.0.2', tlsCert: CERT, tlsKey: KEY });
      const c = new ClientProcess(['--host', '127.0.0.2', '--port', String(srv.port), '--tls', '--ca', CERT, '--user', 'alice', '--password', 'pw']);
      expect(await c.exitCode()).to.equal(1);
      expect(c.err).to.deep.equal([
        `chat-client: the TLS certificate of 127.0.0.2:${srv.port} does not name 127.0.0.2 (it is for localhost, 127.0.0.1); connect with --host set to a name it lists`,
      ]);
    });

    it('refuses an untrusted certificate in one line', async () => {
      const srv = await server({ tlsCert: CERT, tlsKey: KEY });
      const c = client(srv.port, '--tls', '--user', 'alice', '--password', 'pw');
      expect(await c.exitCode()).to.equal(1);
      expect(c.err).to.have.length(1);
      expect(c.err[0]).to.match(/^chat-client: the TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*pass --ca FILE/);
    });
  });

  describe('command line', () => {
    it('--help describes every option and exits 0', async () => {
      const c = new ClientProcess(['--help']);
      expect(await c.exitCode()).to.equal(0);
      const help = c.out.join('\n');
      for (const opt of ['--host', '--port', '--server', '--user', '--password', '--udp-port', '--heartbeat-interval', '--tls', '--ca', '--identity', '--downloads', 'CHAT_PASSWORD', 'XDG_CONFIG_HOME']) {
        expect(help, opt).to.include(opt);
      }
    });

    it('a bad --port gives one line and exit 1', async () => {
      for (const [bad, shown] of [['99999', '99999'], ['0', '0'], ['1.5', '1.5']]) {
        const c = new ClientProcess(['--port', bad!]);
        expect(await c.exitCode(), bad).to.equal(1);
        expect(c.err, bad).to.deep.equal([`chat-client: invalid --port ${shown}: use a whole number from 1 to 65535 (see --help)`]);
        expect(c.out, bad).to.deep.equal([]);
      }
      await refused(['--port', 'abc'], 'chat-client: invalid --port "abc": not a number (see --help)');
      await refused(['--port=12ab'], 'chat-client: invalid --port "12ab": not a number (see --help)');
    });

    /** Runs the client with `args`; it must exit 1 having written only `line` (to stderr). */
    async function refused(args: string[], line: string): Promise<void> {
      const c = new ClientProcess(args);
      const what = args.join(' ');
      expect(await c.exitCode(), what).to.equal(1);
      expect(c.err, what).to.deep.equal([line]);
      expect(c.out, what).to.deep.equal([]);
    }

    it('--version prints the version and exits 0', async () => {
      const c = new ClientProcess(['--version']);
      expect(await c.exitCode()).to.equal(0);
      expect(c.out).to.deep.equal([`chat-client ${VERSION}`]);
    });

    it('an empty or missing value gives one line and exit 1', async () => {
      await refused(['--port', ''], 'chat-client: invalid --port: empty (see --help)');
      await refused(['--port'], 'chat-client: --port needs a value (see --help)');
      await refused(['--port', '--user', 'alice'], 'chat-client: --port needs a value (see --help)');
      await refused(['--user'], 'chat-client: --user needs a value (see --help)');
    });

    it('--server, repeated or in a comma list: a server that cannot be reached is passed over for the next', async () => {
      const srv = await server();
      const closed = await new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as net.AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      for (const args of [['--server', `127.0.0.1:${closed}`, '--server', `127.0.0.1:${srv.port}`], ['--server', `127.0.0.1:${closed},127.0.0.1`, '--port', String(srv.port)]]) {
        const c = new ClientProcess([...args, '--user', 'alice', '--password', 'pw']);
        await c.waitFor(/Login success!/);
        c.write('quit');
        expect(await c.exitCode(), args.join(' ')).to.equal(0);
      }
      const none = new ClientProcess(['--server', `127.0.0.1:${closed}`, '--server', `[::1]:${closed}`, '--user', 'alice', '--password', 'pw']);
      expect(await none.exitCode()).to.equal(1);
      expect(none.err).to.have.length(1);
      expect(none.err[0]).to.match(new RegExp(`^chat-client: cannot connect to 127\\.0\\.0\\.1:${closed}: connection refused; cannot connect to \\[::1\\]:${closed}: `));
    });

    it('a bad --server, or --server with --host, gives one line and exit 1', async () => {
      await refused(['--server', 'a:0'], 'chat-client: invalid --server "a:0": the port must be a whole number from 1 to 65535 (see --help)');
      await refused(['--server', 'a,,b'], 'chat-client: invalid --server "a,,b": an empty entry (see --help)');
      await refused(['--server'], 'chat-client: --server needs a value (see --help)');
      await refused(['--host', 'a', '--server', 'b'], 'chat-client: --host and --server: give one (--server takes HOST:PORT, repeated for several servers) (see --help)');
    });

    it('--password and --password-stdin together give one line and exit 1', async () => {
      await refused(['--password', 'pw', '--password-stdin'], 'chat-client: --password and --password-stdin: give one (see --help)');
    });

    it('an unknown option gives one line and exit 1', async () => {
      await refused(['--usr', 'alice'], 'chat-client: unknown option --usr (see --help)');
    });

    it('a bad --heartbeat-interval gives one line and exit 1', async () => {
      await refused(['--heartbeat-interval', 'abc'], 'chat-client: invalid --heartbeat-interval "abc": not a number (see --help)');
      for (const [bad, shown] of [['0', '0'], ['-1', '-1'], ['1e9', '1000000000']]) {
        await refused(
          ['--heartbeat-interval', bad!],
          `chat-client: invalid --heartbeat-interval ${shown}: use a number of seconds above 0, at most 86400 (see --help)`,
        );
      }
    });

    it('an identity key file others may read, that holds no key, or that is a folder gives one line and exit 1', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'e2e-identity-'));
      try {
        const open = join(dir, 'open-key');
        writeFileSync(open, 'whatever', { mode: 0o644 });
        chmodSync(open, 0o644);
        await refused(['--user', 'alice', '--password', 'pw', '--identity', open], `chat-client: identity file ${open} may be read by others (mode 644); chmod 600 ${open}`);
        const junk = join(dir, 'junk-key');
        writeFileSync(junk, 'not a key', { mode: 0o600 });
        await refused(['--user', 'alice', '--password', 'pw', '--identity', junk], `chat-client: identity file ${junk} does not hold a private key`);
        await refused(['--user', 'alice', '--password', 'pw', '--identity', dir], `chat-client: cannot use identity file ${dir}: it is a folder`);
        await refused(['--identity', ''], 'chat-client: invalid --identity: empty (see --help)');
        await refused(['--downloads', ' '], 'chat-client: invalid --downloads: empty (see --help)');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('creates its identity key at first use, mode 0600, where --identity says, and uses the same one next time', async () => {
      const srv = await server();
      const dir = mkdtempSync(join(tmpdir(), 'e2e-identity-'));
      try {
        const file = join(dir, 'keys', 'me');
        const first = await loggedIn(srv.port, 'alice', '--identity', file);
        first.end();
        expect(await first.exitCode()).to.equal(0);
        expect(statSync(file).mode & 0o777).to.equal(0o600);
        const key = readFileSync(file, 'utf8');
        expect(key).to.match(/^-----BEGIN PRIVATE KEY-----/);
        const again = await loggedIn(srv.port, 'alice', '--identity', file);
        again.end();
        expect(await again.exitCode()).to.equal(0);
        expect(readFileSync(file, 'utf8')).to.equal(key);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('--ca without --tls gives one line and exit 1', async () => {
      await refused(['--ca', CERT], 'chat-client: --ca goes with --tls (see --help)');
    });

    it('an unreadable --ca file gives one line and exit 1', async () => {
      const missing = fixture('no-such-cert.pem');
      await refused(['--tls', '--ca', missing], `chat-client: cannot read --ca ${missing}: no such file (see --help)`);
      const folder = fixture('');
      await refused(['--tls', '--ca', folder], `chat-client: cannot read --ca ${folder}: it is a folder (see --help)`);
    });

    it('an out-of-range --udp-port gives one line and exit 1', async () => {
      for (const bad of ['0', '65536']) {
        await refused(['--udp-port', bad], `chat-client: invalid --udp-port ${bad}: use a whole number from 1 to 65535 (see --help)`);
      }
    });

    it('a repeated option keeps its last value', async () => {
      await refused(['--port', '5555', '--port', '99999'], 'chat-client: invalid --port 99999: use a whole number from 1 to 65535 (see --help)');
      const srv = await server();
      const c = new ClientProcess(['--port', '99999', '--port', String(srv.port), '--user', 'nobody', '--user', 'alice', '--password', 'pw']);
      await c.waitFor(/Login success! \(new account alice created\)$/);
      c.end();
      expect(await c.exitCode()).to.equal(0);
    });

    it('a username the server would refuse gives one line and exit 1, before connecting', async () => {
      const line = `chat-client: invalid --user: use ${NAME_RULE} (see --help)`;
      for (const args of [['--user', 'b@d name'], ['--user', 'x'.repeat(33)], ['--user', '', '--password', 'pw']]) {
        await refused(['--port', '1', ...args], line);
      }
    });

    it('a server that turns the connection away says why, in one line', async () => {
      const srv = await server({ maxPerAddress: 1 });
      await peer(srv.port, 'bob');
      const c = client(srv.port, '--user', 'alice', '--password', 'pw');
      expect(await c.exitCode()).to.equal(1);
      expect(c.err).to.deep.equal([`chat-client: 127.0.0.1:${srv.port} refused the connection: too many connections from your address (at most 1); close one first`]);
    });

    it('a refused connection gives one line and exit 1', async () => {
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise((r) => probe.close(r));
      const c = client(port, '--user', 'alice', '--password', 'pw');
      expect(await c.exitCode()).to.equal(1);
      expect(c.err).to.deep.equal([`chat-client: cannot connect to 127.0.0.1:${port}: connection refused`]);
    });

    it('names an IPv6 address in brackets, so the port stands apart: [::1]:PORT', async () => {
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '::1', r));
      const port = (probe.address() as net.AddressInfo).port;
      await new Promise((r) => probe.close(r));
      const c = client(port, '--host', '::1', '--user', 'alice', '--password', 'pw');
      expect(await c.exitCode()).to.equal(1);
      expect(c.err).to.deep.equal([`chat-client: cannot connect to [::1]:${port}: connection refused`]);
    });
  });
});
