/**
 * What one connection may cost the others: its frames are handled a ration per event-loop turn,
 * and before login it may send only so many frames that are not a login. Real server, real TCP.
 */
import { expect } from 'chai';
import net from 'node:net';
import { encodeFrame, encodeMessage } from '../../../common/codec.js';
import { FRAMES_PER_TURN, MAX_STRIKES } from '../../../server/net/connection.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';
import { waitUntil } from '../../support/wait.js';

describe('Connection: input rationed per turn (real TCP)', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => srv.stop());

  it('interleaves another user between the frames of one pipelined burst', async () => {
    const attacker = await srv.login('attacker');
    const bob = await srv.login('bob');
    const burst = 2000;
    // One write of 2,000 who frames (about 30 KB: one read for the server).
    attacker.raw(Buffer.concat(Array.from({ length: burst }, () => encodeMessage({ type: 'who' }))));
    // Mid-burst: the first replies are out, so the server is between rations.
    await attacker.next((m) => m.type === 'who');
    bob.send({ type: 'say', text: 'ping' });
    await attacker.next((m) => m.type === 'msg' && m.text === 'ping');
    const before = attacker.received.slice(0, attacker.received.findIndex((m) => m.type === 'msg' && m.text === 'ping'));
    const whosBefore = before.filter((m) => m.type === 'who').length;
    expect(whosBefore, 'bob was heard before the burst was done').to.be.below(burst);
    expect(whosBefore).to.be.at.least(FRAMES_PER_TURN);
    // And the burst is still answered in full.
    await waitUntil(() => attacker.all('who').length >= burst, `${burst} who replies (${attacker.all('who').length} so far)`);
    expect(attacker.all('who')).to.have.length(burst);
  });
});

describe('Connection: frames before login (real TCP)', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => srv.stop());

  const unknown = encodeFrame({ type: 'nonsense' });

  it(`closes a connection after ${MAX_STRIKES} frames that are not a login, saying why`, async () => {
    const c = await TestClient.connect(srv.port);
    for (let i = 0; i < MAX_STRIKES - 1; i++) c.raw(unknown);
    c.send({ type: 'who' }); // valid, but not a login: it counts too
    await c.whenClosed();
    const errors = c.all('error').map((e) => e.code);
    expect(errors.slice(0, MAX_STRIKES - 1)).to.deep.equal(Array(MAX_STRIKES - 1).fill('UNKNOWN_TYPE'));
    expect(errors.at(-1)).to.equal('NOT_A_LOGIN');
    expect(c.all('error').at(-1)!.message).to.equal(`${MAX_STRIKES} messages before login that were not a login; the connection will be closed`);
  });

  it('forgives a few mistakes before a login, and counts nothing once logged in', async () => {
    const c = await TestClient.connect(srv.port);
    for (let i = 0; i < MAX_STRIKES - 1; i++) c.raw(unknown);
    const ok = await c.request({ type: 'login', user: 'alice', password: 'pw' }, (m) => m.type === 'login_ok');
    expect(ok).to.include({ user: 'alice' });
    for (let i = 0; i < 2 * MAX_STRIKES; i++) c.raw(unknown);
    await c.sync();
    expect(c.closed).to.equal(false);
    expect(c.all('error')).to.have.length(3 * MAX_STRIKES - 1);
  });
});

describe('Connection: an HTTP request on the chat ports (real TCP)', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer({ ircPort: 0 });
  });
  afterEach(async () => srv.stop());

  /** Sends `bytes` on a fresh socket to `port`; resolves once the server has closed it. */
  const sendAndWaitClose = (port: number, bytes: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => socket.write(bytes));
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.resume();
    });

  it('closes at once, logging that it was HTTP (a scraper given the chat port), instead of waiting for the login deadline', async () => {
    // Without the check, "GE" reads as a header of 18,245 bytes, awaited until the login deadline (30 s).
    await sendAndWaitClose(srv.port, 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await sendAndWaitClose(srv.server.ircPorts.plain!, 'GET /healthz HTTP/1.0\r\n\r\n');
    await waitUntil(() => srv.logs.filter((l) => l.includes('closed: HTTP request on the chat port (the metrics and health checks are on --metrics-port)')).length === 2, 'two log lines');
    // And the chat goes on.
    expect((await TestClient.login(srv.port, 'alice')).me.user).to.equal('alice');
  });
});
