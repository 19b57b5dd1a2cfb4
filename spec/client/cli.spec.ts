/**
 * The built chat-client, end to end: a real server in this process, the client as a child process
 * fed through a pipe, and TestClients as the other users.
 */
import { expect } from 'chai';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeMessage } from '../../common/codec.js';
import { parseHeartbeat } from '../../common/heartbeat.js';
import type { ServerMessage } from '../../common/protocol.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { ClientProcess, eventually } from './client-process.js';

const fixture = (name: string) => fileURLToPath(new URL(`../../../spec/fixtures/${name}`, import.meta.url));
const CERT = fixture('test-cert.pem');
const KEY = fixture('test-key.pem');

describe('chat-client (built, through a pipe)', function () {
  this.timeout(10_000);
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
    expect(await alice.waitFor(/second line/)).to.match(/^ +second line$/);
    alice.write('quit');
    expect(await alice.exitCode()).to.equal(0);
    expect(alice.out).to.satisfy((lines: string[]) => lines.some((l) => /\* Goodbye, alice!/.test(l)));
    expect((await bob.notice('leave')).user).to.equal('alice');
  });

  it('asks for the password again after a wrong one, keeping the username, and reads the next line', async () => {
    const srv = await server();
    const first = await peer(srv.port, 'alice', 'right');
    first.send({ type: 'logout' });
    await first.whenClosed();
    const alice = client(srv.port, '--user', 'alice');
    alice.write('wrong');
    alice.write('right');
    await alice.waitFor(/^Password:$/);
    await alice.waitFor(/! wrong password$/);
    await alice.waitFor(/^Password:$/);
    await alice.waitFor(/Login success!/);
    expect(alice.out.filter((l) => l.startsWith('Username:'))).to.deep.equal([]);
    expect(alice.transcript).not.to.match(/wrong\n|right/);
    alice.end();
    expect(await alice.exitCode()).to.equal(0);
  });

  it('exits 1 when the password from CHAT_PASSWORD is wrong', async () => {
    const srv = await server();
    await peer(srv.port, 'alice', 'right');
    const alice = new ClientProcess(['--port', String(srv.port), '--user', 'alice'], { CHAT_PASSWORD: 'wrong' });
    await alice.waitFor(/! wrong password$/);
    expect(await alice.exitCode()).to.equal(1);
    expect(alice.out.some((l) => l.startsWith('Password:'))).to.equal(false);
  });

  it('asks for the username again after a bad one, and exits 1 when the input ends', async () => {
    const srv = await server();
    const c = new ClientProcess(['--port', String(srv.port)], { CHAT_PASSWORD: 'pw' });
    c.write('b@d name');
    await c.waitFor(/^Username:$/);
    await c.waitFor(/! invalid username/);
    await c.waitFor(/^Username:$/);
    c.end();
    await c.waitFor(/! input ended before login/);
    expect(await c.exitCode()).to.equal(1);
  });

  it('logs in as a guest with an empty username and password, where the server allows guests', async () => {
    const srv = await server({ allowGuests: true });
    const c = client(srv.port, '--password', '');
    c.write('');
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
    await alice.waitFor(/\* bob wants a private chat with you \(Y\/N\)\?$/);
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
    await alice.waitFor(/@PM NAME +ask NAME for a private chat/);
    alice.write('/nick x');
    await alice.waitFor(/! unknown command \/nick; type \/help for the list$/);
    alice.write('/msg zed hi');
    await alice.waitFor(/! zed is not online$/);
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
    await eventually(() => srv.server.counters.datagramsAccepted >= 2, 3000, 'two accepted heartbeats');

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

  it('reconnects and resumes its session when the connection drops', async () => {
    const srv = await server();
    const bob = await peer(srv.port, 'bob');
    const alice = await loggedIn(srv.port, 'alice');
    srv.server.room.find('alice')!.at!.destroy('test: cut the wire');
    await alice.waitFor(/Connection lost \(closed by the server\), reconnecting…$/);
    await alice.waitFor(/Reconnected$/);
    alice.write('back again');
    expect(await bob.line()).to.include({ from: 'alice', text: 'back again' });
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
    const alice = client(first.port, '--user', 'alice', '--heartbeat-interval', '0.05');
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
    await eventually(() => second.server.counters.datagramsAccepted > 0, 3000, 'a heartbeat on the new session');
  });

  it('says the connection is lost, then gives up after the heartbeat timeout and exits 1', async () => {
    const srv = await server({ heartbeatTimeout: 1 });
    const alice = await loggedIn(srv.port, 'alice');
    await servers.shift()!.stop();
    await alice.waitFor(/Connection lost \(closed by the server\), reconnecting…$/);
    await alice.waitFor(/! could not reconnect within 1 s; giving up$/);
    expect(await alice.exitCode()).to.equal(1);
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
      for (const opt of ['--host', '--port', '--user', '--password', '--udp-port', '--heartbeat-interval', '--tls', '--ca', 'CHAT_PASSWORD']) {
        expect(help, opt).to.include(opt);
      }
    });

    it('a bad --port gives one line and exit 1', async () => {
      for (const [bad, shown] of [['99999', '99999'], ['abc', '(not a number)'], ['0', '0'], ['1.5', '1.5']]) {
        const c = new ClientProcess(['--port', bad!]);
        expect(await c.exitCode(), bad).to.equal(1);
        expect(c.err, bad).to.deep.equal([`chat-client: invalid --port ${shown}: use a whole number from 1 to 65535 (see --help)`]);
        expect(c.out, bad).to.deep.equal([]);
      }
    });

    /** Runs the client with `args`; it must exit 1 having written only `line` (to stderr). */
    async function refused(args: string[], line: string): Promise<void> {
      const c = new ClientProcess(args);
      const what = args.join(' ');
      expect(await c.exitCode(), what).to.equal(1);
      expect(c.err, what).to.deep.equal([line]);
      expect(c.out, what).to.deep.equal([]);
    }

    it('an unknown option gives one line and exit 1', async () => {
      await refused(['--usr', 'alice'], 'chat-client: Unknown argument: usr (see --help)');
    });

    it('a bad --heartbeat-interval gives one line and exit 1', async () => {
      for (const [bad, shown] of [['0', '0'], ['-1', '-1'], ['abc', '(not a number)'], ['1e9', '1000000000']]) {
        await refused(
          ['--heartbeat-interval', bad!],
          `chat-client: invalid --heartbeat-interval ${shown}: use a number of seconds above 0, at most 86400 (see --help)`,
        );
      }
    });

    it('--ca without --tls gives one line and exit 1', async () => {
      await refused(['--ca', CERT], 'chat-client: --ca goes with --tls (see --help)');
    });

    it('an unreadable --ca file gives one line and exit 1', async () => {
      const missing = fixture('no-such-cert.pem');
      await refused(['--tls', '--ca', missing], `chat-client: cannot read --ca ${missing}: no such file (see --help)`);
      const folder = fixture('');
      await refused(['--tls', '--ca', folder], `chat-client: cannot read --ca ${folder}: it is a directory (see --help)`);
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
      const line = 'chat-client: invalid --user: use 1 to 32 characters: letters of one script, digits, "_", "-" or "." (see --help)';
      for (const args of [['--user', 'b@d name'], ['--user', 'x'.repeat(33)], ['--user', '', '--password', 'pw']]) {
        await refused(['--port', '1', ...args], line);
      }
    });

    it('a server that turns the connection away says why, in one line', async () => {
      const srv = await server({ maxPerAddress: 1 });
      await peer(srv.port, 'bob');
      const c = client(srv.port, '--user', 'alice', '--password', 'pw');
      expect(await c.exitCode()).to.equal(1);
      expect(c.err).to.deep.equal([`chat-client: 127.0.0.1:${srv.port} refused the connection: too many connections`]);
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
  });
});
