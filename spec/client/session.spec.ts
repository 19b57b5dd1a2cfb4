/**
 * The session state machine with an injected clock: reconnect pacing, heartbeats while
 * disconnected, and giving up, checked to the millisecond without waiting for any of it. The
 * login itself runs against a real server; reconnect attempts go through a connect function the
 * test controls.
 */
import { expect } from 'chai';
import type { BaseConnection } from '../../server/net/connection.js';
import type { ClientMessage } from '../../common/protocol.js';
import type net from 'node:net';
import { makeClientConfig } from '../../client/config.js';
import { connect as realConnect, ConnectError, type Endpoint } from '../../client/connection.js';
import { HeartbeatSender } from '../../client/heartbeat.js';
import { NAME_RULE } from '../../common/names.js';
import { ChatSession, REPLY_WAIT_MS } from '../../client/session.js';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { FakeServer, flood, loginOk } from './fake-server.js';
import { FakeUi } from './fake-ui.js';
import { quietSession } from './quiet-session.js';
import { waitUntil } from '../support/wait.js';

/** Advances fake time in small steps, letting real I/O run in between, until `done` or `maxMs`. */
async function run(clock: FakeClock, maxMs: number, done: () => boolean = () => false): Promise<void> {
  for (let t = 0; t < maxMs && !done(); t += 25) {
    clock.advance(25);
    await new Promise((r) => setImmediate(r));
  }
}

describe('client/session (fake clock)', () => {
  let srv: Running;
  let clock: FakeClock;
  let beats: number;
  /** While true, connection attempts fail as if refused; their fake times are recorded. */
  let down: boolean;
  let attempts: number[];
  let ui: FakeUi;
  let session: ChatSession;
  let exit: Promise<number>;

  beforeEach(async () => {
    srv = await startServer();
    clock = new FakeClock(Date.now());
    beats = 0;
    down = false;
    attempts = [];
    ui = new FakeUi();
    const heartbeat = new HeartbeatSender(clock, () => ({ send: () => void beats++, close: () => {} }));
    const connect = (ep: Endpoint) => {
      if (!down) return realConnect(ep);
      attempts.push(clock.now());
      return Promise.reject(new ConnectError('connection refused'));
    };
    const config = makeClientConfig({ port: srv.port, user: 'alice', password: 'pw' });
    session = new ChatSession(config, ui, { clock, random: () => 0.5, heartbeat, connect });
    exit = session.run();
    await ui.waitFor(/Login success!/);
  });

  afterEach(async () => srv.stop());

  /** Cuts alice's connection on the server side and waits for the client to notice. */
  async function cut(): Promise<number> {
    down = true;
    (srv.server.room.find('alice')!.at as BaseConnection).destroy('test: cut');
    await ui.waitFor(/Connection lost \(closed by the server\), reconnecting…$/);
    return clock.now();
  }

  it('retries after 0.5, 1, 2, 4, 5, 5 s steps (jittered), heartbeating; past the timeout says others see it offline and goes on', async () => {
    const lostAt = await cut();
    const beatsBefore = beats;
    await run(clock, 25_000);
    // random() = 0.5 puts each delay at three quarters of its step: 375, 750, 1500, 3000, 3750...
    expect(attempts.map((t) => t - lostAt)).to.deep.equal([375, 1125, 2625, 5625, 9375, 13125, 16875, 20625, 24375]);
    const past = ui.lines.filter((l) => /No connection for 20 s/.test(l));
    expect(past.map((l) => l.replace(/^\[[^\]]*\] /, ''))).to.deep.equal([
      'No connection for 20 s: others now see you offline. Still trying (every few seconds); you will be logged in again when the server is back (Ctrl-C leaves).',
    ]);
    expect(beats - beatsBefore).to.equal(5); // at 5, 10, 15, 20 and 25 s: a server that still holds the session keeps it
    expect(ui.statuses).to.deep.equal([]); // one server: no status row, the lines say it as they always did
    // The server is back (it still knows the session here: its clock is the real one): resumed.
    down = false;
    await run(clock, 5000, () => ui.has(/Reconnected/));
    await ui.waitFor(/Reconnected/);
    ui.chat!.interrupt();
    expect(await exit).to.equal(0);
    const after = beats;
    clock.advance(60_000);
    expect(beats).to.equal(after);
  });

  it('/verify and /trust in a client without an identity key say there are no encrypted chats', async () => {
    await waitUntil(() => ui.chat !== null, 'the chat started');
    ui.chat!.line('/verify');
    expect(ui.lines.at(-1)).to.match(/! this client has no identity key: no encrypted chats$/);
    ui.chat!.line('/trust bob');
    expect(ui.lines.at(-1)).to.match(/! this client has no identity key: no encrypted chats$/);
  });

  it('reports a line typed while disconnected as not delivered', async () => {
    await cut();
    ui.chat!.line('are you there?');
    expect(ui.lines.at(-1)).to.match(/! not delivered \(not connected\): are you there\?$/);
  });

  it('resumes the same session once the server answers again, and delivers lines again', async () => {
    const bob = await TestClient.login(srv.port, 'bob');
    const lostAt = await cut();
    await run(clock, 2000, () => attempts.length === 2);
    down = false;
    // Fake time stands still from here: the third attempt (due 2625 ms after the loss) is real.
    await run(clock, 2000, () => clock.now() - lostAt >= 2625);
    await ui.waitFor(/Reconnected$/);
    expect(clock.now() - lostAt).to.equal(2625);
    expect(session.state).to.equal('ready');
    ui.chat!.line('still here');
    expect(await bob.line()).to.include({ from: 'alice', text: 'still here' });
    bob.close();
  });

  it('leaves with exit 0 when the user quits while disconnected', async () => {
    await cut();
    ui.chat!.line('quit');
    expect(await exit).to.equal(0);
    expect(ui.has(/Leaving while not connected/)).to.equal(true);
  });

  it('sends heartbeats to the address the connection reached, not to the host name', async () => {
    const hosts: string[] = [];
    const heartbeat = new HeartbeatSender(clock, () => ({ send: (_d, _p, host) => void hosts.push(host), close: () => {} }));
    const bobUi = new FakeUi();
    const config = makeClientConfig({ host: 'localhost', port: srv.port, user: 'bob', password: 'pw' });
    const bob = new ChatSession(config, bobUi, { clock, heartbeat });
    const bobExit = bob.run();
    await bobUi.waitFor(/Login success!/);
    expect(hosts).to.deep.equal(['127.0.0.1']);
    await new Promise((r) => setImmediate(r)); // the chat starts once run() has seen the login
    bobUi.chat!.line('quit');
    expect(await bobExit).to.equal(0);
  });

  it('checks a typed username before sending it, says why and asks again', async () => {
    const logins: string[] = [];
    const connect = async (ep: Endpoint) => {
      const link = await realConnect(ep);
      const send = link.send.bind(link);
      link.send = (m) => {
        if (m.type === 'login') logins.push(m.user);
        return send(m);
      };
      return link;
    };
    const carolUi = new FakeUi(['b@d name', 'x'.repeat(33), 'carol']);
    const config = makeClientConfig({ port: srv.port, password: 'pw' });
    const carol = new ChatSession(config, carolUi, { clock, connect });
    const carolExit = carol.run();
    await carolUi.waitFor(/Login success!/);
    expect(carolUi.questions).to.deep.equal(['Username:', 'Username:', 'Username:']);
    expect(carolUi.lines.filter((l) => l.includes('] ! '))).to.have.length(2);
    expect(carolUi.lines.some((l) => l.endsWith(`! invalid username: use ${NAME_RULE}`))).to.equal(true);
    expect(logins).to.deep.equal(['carol']);
    await new Promise((r) => setImmediate(r));
    carolUi.chat!.line('quit');
    expect(await carolExit).to.equal(0);
  });
});

describe('client/session marked offline by the real server (fake clocks on both sides)', () => {
  let srv: Running;
  let serverClock: FakeClock;
  let clock: FakeClock;
  let ui: FakeUi;
  let exit: Promise<number>;

  beforeEach(async () => {
    serverClock = new FakeClock(Date.now());
    srv = await startServer({}, serverClock);
    clock = new FakeClock(Date.now());
    ui = new FakeUi();
    // The heartbeats go nowhere: the server hears none, as when UDP is blocked on the way.
    ({ exit } = quietSession(srv.port, ui, clock));
    await ui.waitFor(/Login success!/);
  });
  afterEach(async () => srv.stop());

  /** The server's 20 s without a heartbeat, and its sweep: alice is marked offline. */
  const silence = () => serverClock.advance(21_000);

  it('after a silence of its own (stopped with Ctrl-Z, asleep), says so and logs in again', async () => {
    clock.freeze(25_000); // the client did not run: no timer, no heartbeat
    silence();
    await ui.waitFor(/You were marked offline/);
    await ui.waitFor(/This client was not running for a while .*: logging in again…$/);
    await run(clock, 5000, () => ui.has(/logged in again as alice/));
    await ui.waitFor(/Reconnected: the previous session was gone, so you are logged in again as alice\.$/);
    expect(srv.server.room.find('alice')).to.not.equal(undefined);
    ui.chat!.interrupt();
    expect(await exit).to.equal(0);
  });

  it('away in the session that was lost, is away again after logging in again', async () => {
    await waitUntil(() => ui.chat !== null, 'the chat');
    ui.chat!.line('/away at lunch');
    await ui.waitFor(/You are marked as away: "at lunch"/);
    clock.freeze(25_000);
    silence();
    await ui.waitFor(/You were marked offline/);
    await run(clock, 5000, () => ui.has(/logged in again as alice/));
    await waitUntil(() => ui.lines.filter((l) => /You are marked as away: "at lunch"/.test(l)).length === 2, 'marked away again');
    expect(srv.server.room.find('alice')!.away).to.equal('at lunch');
    // Back, and lost again: nothing to set.
    ui.chat!.line('/back');
    await ui.waitFor(/no longer marked as away/);
    clock.freeze(25_000);
    silence();
    await run(clock, 5000, () => ui.lines.filter((l) => /logged in again as alice/.test(l)).length === 2);
    await waitUntil(() => srv.server.room.find('alice') !== undefined, 'alice back');
    expect(srv.server.room.find('alice')!.away).to.equal(null);
    ui.chat!.interrupt();
    expect(await exit).to.equal(0);
  });

  it('with its heartbeats going out all along (UDP blocked), leaves with the server\'s words and exit 1, not to be marked offline again', async () => {
    await run(clock, 25_000);
    silence();
    await ui.waitFor(/You were marked offline: the server heard no heartbeat for 20 s \(is UDP blocked\?\)/);
    expect(await exit).to.equal(1);
    expect(ui.has(/logging in again/)).to.equal(false);
  });
});

describe('client/session against a misbehaving server (fake clock)', () => {
  let fake: FakeServer | null = null;

  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('gives up on a server that never answers the login, after 30 s, with one clear line', async () => {
    let loginArrived!: () => void;
    const arrived = new Promise<void>((r) => (loginArrived = r));
    fake = await FakeServer.start((_socket, m) => {
      if (m.type === 'login') loginArrived();
    });
    const clock = new FakeClock(Date.now());
    const ui = new FakeUi();
    const session = new ChatSession(makeClientConfig({ port: fake.port, user: 'alice', password: 'pw' }), ui, { clock });
    let code: number | null = null;
    void session.run().then((c) => (code = c));
    await arrived;
    clock.advance(REPLY_WAIT_MS - 1);
    await new Promise((r) => setImmediate(r));
    expect(code).to.equal(null);
    expect(ui.lines).to.deep.equal([]);
    clock.advance(1);
    await ui.waitFor(/! the server did not answer the login within 30 s$/);
    await new Promise((r) => setImmediate(r));
    expect(code).to.equal(1);
    expect(ui.lines).to.have.length(1);
  });

  it('after too many failed logins, counts the seconds the server names down, then asks for the password again, never the name given with --user', async () => {
    const logins: [string, string][] = [];
    fake = await FakeServer.start((s, m) => {
      if (m.type !== 'login') return;
      logins.push([m.user, m.password]);
      if (logins.length === 1) FakeServer.send(s, { type: 'error', code: 'LOGIN_THROTTLED', message: 'too many failed logins; try again in 54 s', retry: 54 });
      else FakeServer.send(s, loginOk());
    });
    const ui = new FakeUi(['typed too soon', 'right']);
    const { clock } = quietSession(fake.port, ui, undefined, { password: undefined });
    await ui.waitFor(/! too many failed logins; try again in 54 s$/);
    await ui.waitFor(/\] Waiting 54 s before asking for the password again; Ctrl-C quits\.$/);
    clock.advance(53_999);
    await new Promise((r) => setImmediate(r));
    expect(ui.questions).to.deep.equal(['Password:']);
    expect(ui.statuses.at(-1)).to.equal('password again in 1 s (Ctrl-C quits)');
    clock.advance(1);
    await ui.waitFor(/Login success!/);
    expect(ui.questions).to.deep.equal(['Password:', 'Password:']);
    expect(logins).to.deep.equal([['alice', 'typed too soon'], ['alice', 'right']]);
    expect(ui.statuses).to.have.length(55);
    expect([ui.statuses[0], ui.statuses.at(-1)]).to.deep.equal(['password again in 54 s (Ctrl-C quits)', null]);
  });

  it('at the end of the input, waits for the /history pages typed, but not for ever', async () => {
    let socket!: net.Socket;
    const asked: ClientMessage[] = [];
    let loggedOut!: () => void;
    const logout = new Promise<void>((r) => (loggedOut = r));
    fake = await FakeServer.start((s, m) => {
      if (m.type === 'login') {
        socket = s;
        FakeServer.send(s, loginOk());
      }
      if (m.type === 'history') asked.push(m);
      if (m.type === 'logout') loggedOut();
    });
    const ui = new FakeUi();
    const { clock } = quietSession(fake.port, ui);
    await ui.waitFor(/Login success!/);
    FakeServer.send(socket, { type: 'msg', id: 9, from: 'bob', ts: clock.now(), scope: 'group', text: 'newest' });
    await ui.waitFor(/bob: newest$/);
    ui.chat!.line('/history 2');
    ui.chat!.line('/history 2');
    ui.chat!.end();
    // One page answered: the second request goes out; its page never comes.
    for (const id of [7, 8]) FakeServer.send(socket, { type: 'msg', id, from: 'bob', ts: clock.now(), scope: 'group', text: `l${id}`, replay: true });
    FakeServer.send(socket, { type: 'notice', event: 'history', message: '2 older lines', ts: clock.now() });
    await waitUntil(() => asked.length === 2, 'the second /history');
    expect(asked).to.deep.equal([{ type: 'history', count: 2, before: 9 }, { type: 'history', count: 2, before: 7 }]);
    await logout; // all asked: the goodbye follows at once
  });

  it('at the end of the input, leaves after a while when a /history page never comes', async () => {
    let socket!: net.Socket;
    let loggedOut = false;
    fake = await FakeServer.start((s, m) => {
      if (m.type === 'login') {
        socket = s;
        FakeServer.send(s, loginOk());
      }
      if (m.type === 'logout') loggedOut = true;
    });
    const ui = new FakeUi();
    const { clock, exit } = quietSession(fake.port, ui);
    await ui.waitFor(/Login success!/);
    await waitUntil(() => ui.chat !== null, 'the input attached');
    ui.chat!.line('/history 2');
    ui.chat!.line('/history 2');
    ui.chat!.end();
    await new Promise((r) => setTimeout(r, 50)); // real I/O: the first request reaches the server
    clock.advance(REPLY_WAIT_MS - 1);
    await new Promise((r) => setTimeout(r, 100)); // a logout sent now would have arrived
    expect(loggedOut).to.equal(false);
    clock.advance(1);
    await waitUntil(() => loggedOut, 'the logout');
    FakeServer.send(socket, { type: 'bye', reason: 'logout', message: 'Goodbye' });
    expect(await exit).to.equal(0);
  });

  it('stops reading while the screen is behind, and reads on once it has caught up', async () => {
    let socket!: net.Socket;
    fake = await FakeServer.start((s, m) => {
      if (m.type !== 'login') return;
      socket = s;
      FakeServer.send(s, loginOk());
    });
    const ui = new FakeUi();
    const heartbeat = new HeartbeatSender(new FakeClock(), () => ({ send: () => {}, close: () => {} }));
    const session = new ChatSession(makeClientConfig({ port: fake.port, user: 'alice', password: 'pw' }), ui, { heartbeat });
    void session.run();
    await ui.waitFor(/Login success!/);
    ui.keepingUp = false;
    // The client stops reading: after a few megabytes (the kernel's buffers), nothing gets through.
    const first = await flood(socket, 64 << 20);
    expect(first.stalled, `${first.delivered} bytes delivered`).to.equal(true);
    expect(first.delivered).to.be.below(32 << 20);
    const shown = ui.lines.length;
    ui.drain();
    // A long quiet window: a busy machine may pause the client for a moment without it having stopped.
    const rest = await flood(socket, first.delivered + (8 << 20), 5000);
    expect(rest.stalled).to.equal(false);
    expect(ui.lines.length).to.be.above(shown + 1000);
    ui.chat?.interrupt();
  });
});

describe('client/session with several servers (fake clock)', () => {
  let a: Running;
  let b: Running;
  let clock: FakeClock;
  let ui: FakeUi;
  /** Ports whose connection attempts fail as if refused. */
  let down: Set<number>;
  /** Every connection attempt: the fake time and the port it went to. */
  let attempts: { at: number; port: number }[];
  let session: ChatSession;
  let exit: Promise<number>;

  const server = (s: Running) => ({ host: '127.0.0.1', port: s.port });

  beforeEach(async () => {
    [a, b] = [await startServer(), await startServer()];
    clock = new FakeClock(Date.now());
    ui = new FakeUi();
    down = new Set();
    attempts = [];
  });

  afterEach(async () => {
    ui.chat?.interrupt();
    await Promise.all([a.stop(), b.stop()]);
  });

  function start(): void {
    const heartbeat = new HeartbeatSender(clock, () => ({ send: () => {}, close: () => {} }));
    const connect = (ep: Endpoint) => {
      attempts.push({ at: clock.now(), port: ep.port });
      if (down.has(ep.port)) return Promise.reject(new ConnectError(`cannot connect to 127.0.0.1:${ep.port}: connection refused`));
      return realConnect(ep);
    };
    const config = makeClientConfig({ port: a.port, servers: [server(a), server(b)], user: 'alice', password: 'pw' });
    session = new ChatSession(config, ui, { clock, random: () => 0.5, heartbeat, connect });
    exit = session.run();
  }

  /** Cuts alice's connection to `s` (after which `s` refuses her) and waits for the client to notice. */
  async function cut(s: Running): Promise<number> {
    await ui.waitFor(/Login success!/);
    down.add(s.port);
    attempts.length = 0;
    ui.statuses.length = 0; // the login's (it clears the row)
    (s.server.room.find('alice')!.at as BaseConnection).destroy('test: cut');
    await ui.waitFor(/Connection lost \(closed by the server\), reconnecting…$/);
    return clock.now();
  }

  it('tries the server in use again first, then the others in turn, at the one backoff, naming each on the status row', async () => {
    start();
    const lostAt = await cut(a);
    down.add(b.port);
    await run(clock, 25_000);
    const tried = attempts.map((t) => `${t.at - lostAt} ${t.port === a.port ? 'a' : 'b'}`);
    expect(tried).to.deep.equal(['375 a', '1125 b', '2625 a', '5625 b', '9375 a', '13125 b', '16875 a', '20625 b', '24375 a']);
    const [A, B] = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
    expect(ui.statuses.slice(0, 5)).to.deep.equal([
      `Connection to ${A} (1 of 2) lost; trying it again first`,
      `Reconnecting to ${A} (1 of 2)…`,
      `Next: ${B} (2 of 2); cannot connect to ${A}: connection refused`,
      `Reconnecting to ${B} (2 of 2)…`,
      `Next: ${A} (1 of 2); cannot connect to ${B}: connection refused`,
    ]);
    expect(ui.has(/No connection for 20 s: others now see you offline/)).to.equal(true);
    ui.chat!.interrupt();
    expect(await exit).to.equal(0);
    expect(ui.statuses.at(-1)).to.equal(null);
  });

  it('lands on the next server when the one in use cannot be reached: logs in there, says so, and lines go there', async () => {
    start();
    const bob = await b.login('bob');
    const lostAt = await cut(a);
    await run(clock, 5000, () => session.state === 'ready');
    await ui.waitFor(new RegExp(`Now connected to 127\\.0\\.0\\.1:${b.port} \\(2 of 2\\)\\.$`));
    expect(attempts.map((t) => [t.at - lostAt, t.port])).to.deep.equal([[375, a.port], [1125, b.port]]);
    expect(ui.statuses.at(-1)).to.equal(null);
    ui.chat!.line('on b now');
    expect(await bob.line()).to.include({ from: 'alice', text: 'on b now' });
  });

  it('at start, goes on with the next server when the first cannot be reached; with none, says why for each', async () => {
    down.add(a.port);
    start();
    await ui.waitFor(/Login success!/);
    expect(attempts.map((t) => t.port)).to.deep.equal([a.port, b.port]);
    expect(b.server.room.find('alice')).to.not.equal(undefined);

    const none = new FakeUi();
    const refused = (ep: Endpoint) => Promise.reject(new ConnectError(`cannot connect to 127.0.0.1:${ep.port}: connection refused`));
    const config = makeClientConfig({ servers: [server(a), server(b)], user: 'carol', password: 'pw' });
    const failed = await new ChatSession(config, none, { clock, connect: refused }).run().catch((e: Error) => e.message);
    expect(failed).to.equal(`cannot connect to 127.0.0.1:${a.port}: connection refused; cannot connect to 127.0.0.1:${b.port}: connection refused`);
  });
});

describe('client/session logging in again after a restart (fake clock)', () => {
  let fake: FakeServer | null = null;

  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('a login again refused for later (throttled, every client of a restarted server at once) is tried again after its retry, a minute at most, not given up on', async () => {
    const got: string[] = [];
    fake = await FakeServer.start((s, m) => {
      got.push(m.type);
      if (m.type === 'resume') FakeServer.send(s, { type: 'error', code: 'RESUME_FAILED', message: 'session gone', re: 'resume' });
      if (m.type !== 'login') return;
      const logins = got.filter((t) => t === 'login').length;
      if (logins === 2) FakeServer.send(s, { type: 'error', code: 'LOGIN_THROTTLED', message: 'too many failed logins; try again in 3600 s', retry: 3600 });
      else FakeServer.send(s, loginOk());
    });
    const ui = new FakeUi();
    const { session, clock, exit } = quietSession(fake.port, ui);
    let code: number | null = null;
    void exit.then((c) => (code = c));
    await ui.waitFor(/Login success!/);
    fake.sockets[0]!.destroy();
    await ui.waitFor(/Connection lost/);
    await run(clock, 10_000, () => got.filter((t) => t === 'login').length === 2);
    await ui.waitFor(/too many failed logins; try again in 3600 s/);
    const refusedAt = clock.now();
    // The server's hour is held to a minute: nothing before it, the attempt right after.
    await run(clock, 59_000, () => got.filter((t) => t === 'login').length === 3);
    expect(got.filter((t) => t === 'login'), 'nothing within the minute').to.have.length(2);
    await run(clock, 2_000, () => session.state === 'ready' || code !== null);
    expect(clock.now() - refusedAt).to.be.within(60_000, 61_000);
    await waitUntil(() => session.state === 'ready' || code !== null, 'logged in again, or gave up');
    expect(code).to.equal(null);
    expect(session.state).to.equal('ready');
    expect(got.filter((t) => t === 'login')).to.have.length(3);
    ui.chat!.interrupt();
  });
});

describe('client/session told goodbye before its first login_ok', () => {
  let fake: FakeServer | null = null;

  afterEach(async () => {
    await fake?.close();
    fake = null;
  });

  it('leaves with exit 1 and the server\'s words, rather than throwing (no login_ok, so no timeout known yet)', async () => {
    fake = await FakeServer.start((s, m) => {
      if (m.type === 'login') FakeServer.send(s, { type: 'bye', reason: 'offline', message: 'you were marked offline' });
    });
    const thrown: Error[] = [];
    const onError = (e: Error) => void thrown.push(e);
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.on('uncaughtException', onError);
    try {
      const ui = new FakeUi();
      const { exit } = quietSession(fake.port, ui);
      // Thrown (the bug), the session would never end: whichever comes first.
      await Promise.race([exit, waitUntil(() => thrown.length > 0, 'an uncaught exception').catch(() => {})]);
      expect(thrown.map((e) => e.message)).to.deep.equal([]);
      expect(ui.has(/you were marked offline/)).to.equal(true);
      expect(await exit).to.equal(1);
    } finally {
      process.off('uncaughtException', onError);
      for (const l of listeners) process.on('uncaughtException', l);
    }
  });
});
