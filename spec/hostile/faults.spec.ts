/**
 * Faults: a bug hit while serving one connection costs that connection only, and a graceful
 * shutdown delivers what the server had already accepted.
 */
import { expect } from 'chai';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { logged } from './support.js';
import { waitUntil } from '../support/wait.js';

describe('hostile: faults in one connection', () => {
  let srv: Running;
  const restore: (() => void)[] = [];
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => {
    for (const undo of restore.splice(0)) undo();
    await srv.stop();
  });

  /** Replaces obj[name] for this test only. */
  function patch<T extends object, K extends keyof T>(obj: T, name: K, value: T[K]): void {
    const had = Object.hasOwn(obj, name);
    const old = obj[name];
    obj[name] = value;
    restore.push(() => {
      if (had) obj[name] = old;
      else delete obj[name];
    });
  }

  it('closes the connection whose command handler throws, logs the error, and others chat on', async () => {
    const { delivery } = srv.server;
    const toRoom = delivery.toRoom.bind(delivery);
    patch(delivery, 'toRoom', (msg, except) => {
      if (msg.type === 'msg' && msg.text === 'boom') throw new Error('injected fault');
      toRoom(msg, except);
    });
    const alice = await TestClient.login(srv.port, 'alice');
    const bob = await TestClient.login(srv.port, 'bob');
    const carol = await TestClient.login(srv.port, 'carol');
    alice.send({ type: 'say', text: 'boom' });
    expect(await alice.error()).to.include({ code: 'INTERNAL', message: 'internal server error; the connection will be closed' });
    await alice.whenClosed();
    const errors = logged(srv.logs, 'ERROR Error handling say from 127.0.0.1');
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include('injected fault');
    bob.send({ type: 'say', text: 'still fine' });
    expect(await carol.line()).to.include({ from: 'bob', text: 'still fine' });
    await carol.sync();
    expect(carol.all('msg').map((m) => m.text)).to.deep.equal(['still fine']);
  });

  it('contains a fault on the connection itself, outside any command', async () => {
    // The connection reports what it cannot read while decoding, before any command runs.
    const { delivery } = srv.server;
    const reply = delivery.reply.bind(delivery);
    patch(delivery, 'reply', (conn, msg) => {
      if (msg.type === 'error' && msg.code === 'UNKNOWN_TYPE') throw new Error('injected fault in the connection');
      reply(conn, msg);
    });
    const alice = await TestClient.login(srv.port, 'alice');
    const bob = await TestClient.login(srv.port, 'bob');
    bob.send({ type: 'nonsense' } as never);
    await bob.whenClosed();
    await waitUntil(() => logged(srv.logs, 'ERROR Internal error on connection').length === 1, 'the error in the log');
    expect(logged(srv.logs, 'injected fault in the connection')).to.have.length(1);
    alice.send({ type: 'say', text: 'anyone?' });
    expect(await alice.line()).to.include({ text: 'anyone?' });
  });

  it('contains a fault while a connection closes', async () => {
    const { room } = srv.server;
    patch(room, 'lost', () => {
      throw new Error('injected fault on close');
    });
    const alice = await TestClient.login(srv.port, 'alice');
    const bob = await TestClient.login(srv.port, 'bob');
    bob.close();
    await waitUntil(() => logged(srv.logs, 'injected fault on close').length === 1, 'the error in the log');
    alice.send({ type: 'say', text: 'still here' });
    expect(await alice.line()).to.include({ text: 'still here' });
    expect(srv.server.connections).to.equal(1);
  });

  it('logs a connection the client reset in words, not as a socket error code, and others chat on', async () => {
    const alice = await TestClient.login(srv.port, 'alice');
    const bob = await TestClient.login(srv.port, 'bob');
    // A TCP reset (RST) instead of a close: what a crashed client's kernel or a middlebox sends.
    bob.socket.resetAndDestroy();
    await waitUntil(() => logged(srv.logs, 'Lost connection from bob').length === 1, 'bob lost');
    expect(logged(srv.logs, 'Lost connection from bob')[0]).to.match(/: socket error: connection reset by the client$/);
    alice.send({ type: 'say', text: 'still here' });
    expect(await alice.line()).to.include({ text: 'still here' });
  });
});

describe('hostile: graceful shutdown', () => {
  let srv: Running;
  afterEach(async () => srv.stop());

  it('delivers every message accepted before it, even to a client that was not reading', async () => {
    // A fake clock: the 2 s a closed connection lingers for a peer that never reads would run out
    // while bob, on a busy machine, is still reading. Here he does read: nothing cuts him off.
    srv = await startServer({ rateCount: 1_000_000, maxOutput: 64 * 1024 * 1024 }, new FakeClock());
    const alice = await TestClient.login(srv.port, 'alice');
    const bob = await TestClient.login(srv.port, 'bob');
    bob.socket.pause();
    // More than loopback buffers hold, so some is still queued in the server when it stops.
    const texts = Array.from({ length: 1500 }, (_, i) => `line ${i} ${'z'.repeat(8 * 1024)}`);
    for (const text of texts) alice.send({ type: 'say', text });
    await alice.sync(); // all accepted: broadcast to bob's connection
    const stopped = srv.server.stop();
    bob.socket.resume();
    await bob.whenClosed();
    await stopped;
    expect(bob.all('msg').map((m) => m.text)).to.deep.equal(texts);
    expect(bob.received.at(-1)).to.include({ type: 'bye' });
    expect(alice.received.at(-1)).to.include({ type: 'bye' });
  });

  it('refuses new connections once stopping', async () => {
    srv = await startServer();
    await srv.server.stop();
    const error = await TestClient.connect(srv.port).then(
      () => null,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(error).to.equal('ECONNREFUSED');
  });
});
