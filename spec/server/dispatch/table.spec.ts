/**
 * The dispatcher over in-memory stream pairs: the real server (store, room, delivery) serves
 * streams handed to it, with no TCP. What is checked once for every message: the login gate,
 * what a message stands for (a bare Y), the flood limit, the count, and refusals answered to the
 * caller alone.
 */
import { expect } from 'chai';
import type { Duplex } from 'node:stream';
import { duplexPair } from '../../support/duplex-pair.js';
import { FakeClock } from '../../support/fake-clock.js';
import { LOGIN_WAIT_MS, startServer, TestClient, type Running } from '../../support/harness.js';

describe('dispatch (in-memory streams)', () => {
  let srv: Running;
  let clients: TestClient<Duplex>[];
  let port = 40_000;

  beforeEach(async () => {
    srv = await startServer({ rateCount: 2, rateWindow: 5, muteSeconds: 10 }, new FakeClock());
    clients = [];
  });
  afterEach(async () => {
    clients.forEach((c) => c.close());
    await srv.stop();
  });

  /** A client on an in-memory stream the server serves as if it came from 10.9.9.9. */
  async function connect(): Promise<TestClient<Duplex>> {
    const [serverSide, clientSide] = duplexPair();
    const c = TestClient.over(clientSide);
    clients.push(c);
    srv.server.handle(serverSide, '10.9.9.9', port++);
    expect(await c.next((m) => m.type === 'hello')).to.deep.include({ server: 'tinychat', maxBody: 65536 });
    return c;
  }

  async function login(name: string): Promise<TestClient<Duplex>> {
    const c = await connect();
    const reply = await c.request({ type: 'login', user: name, password: 'pw' }, (m) => m.type === 'login_ok' || m.type === 'error');
    expect(reply).to.include({ type: 'login_ok', user: name });
    return c;
  }

  it('greets, refuses chat before login, then logs in and carries a line between two streams', async () => {
    const alice = await connect();
    alice.send({ type: 'say', text: 'too early' });
    expect(await alice.error()).to.include({ code: 'NOT_LOGGED_IN', message: 'log in first' });
    alice.send({ type: 'login', user: 'alice', password: 'pw' });
    expect(await alice.next((m) => m.type === 'login_ok', LOGIN_WAIT_MS)).to.include({ user: 'alice', created: true });
    const bob = await login('bob');
    alice.send({ type: 'say', text: 'hello bob' });
    expect(await bob.line()).to.include({ from: 'alice', scope: 'group', text: 'hello bob' });
    expect(srv.logs).to.include('INFO User alice logged in from 10.9.9.9:40000');
  });

  it('answers a refusal to the caller alone and keeps the connection; only accepted lines are counted', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    alice.send({ type: 'dm', to: 'nobody', text: 'hi' });
    expect(await alice.error()).to.include({ code: 'NO_SUCH_USER', message: 'there is no account named nobody' });
    alice.send({ type: 'login', user: 'alice', password: 'pw' });
    expect(await alice.error()).to.include({ code: 'ALREADY_LOGGED_IN', message: 'alice is already logged in' });
    alice.send({ type: 'dm', to: 'BOB', text: 'still here' });
    expect(await bob.line()).to.include({ from: 'alice', to: 'bob', scope: 'private', text: 'still here' });
    await bob.sync();
    expect(bob.all('error')).to.deep.equal([]);
    expect(srv.server.counters.messages).to.equal(1);
  });

  it('reads a bare Y as the answer to a waiting request, even from a muted user; with none waiting it is chat', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    bob.send({ type: 'say', text: 'y' });
    expect(await alice.line()).to.include({ from: 'bob', text: 'y' });
    bob.send({ type: 'say', text: 'two' }); // the second line in the window: the limit is 2
    await alice.line();
    bob.send({ type: 'say', text: 'three' });
    expect(await bob.notice('muted')).to.include({ message: 'You are sending too fast: muted for 10 s' });
    alice.send({ type: 'pm_request', to: 'bob' });
    await bob.notice('pm_invite');
    bob.send({ type: 'say', text: ' Y ' });
    expect(await alice.notice('pm_started')).to.include({ user: 'bob' });
    await alice.sync();
    expect(alice.all('msg').map((m) => m.text)).to.deep.equal(['y', 'two']);
  });

  it('refuses text a chat line may not carry before any handler runs, and the connection goes on', async () => {
    const alice = await login('alice');
    alice.send({ type: 'say', text: 'bell\u0007' });
    expect(await alice.error()).to.include({ code: 'BAD_TEXT' });
    alice.send({ type: 'say', text: 'fine' });
    expect(await alice.line()).to.include({ text: 'fine' });
  });
});
