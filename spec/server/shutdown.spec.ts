/**
 * Graceful shutdown in-process: every client hears "Server is shutting down" after everything the
 * server had already accepted, connections close, and the users file is left intact and unlocked.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import type { ServerMessage } from '../../common/protocol.js';
import { startServer, TestClient, type Running } from '../support/harness.js';

describe('graceful shutdown', () => {
  let srv: Running;
  const login = (name: string) => srv.login(name);

  beforeEach(async () => {
    // No flood limit: the first test sends 20 lines at once.
    srv = await startServer({ rateCount: 1000 });
  });
  afterEach(async () => {
    await srv.stop();
  });

  it('delivers messages accepted before stop() ahead of the bye, then closes every connection', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const idle = await TestClient.connect(srv.port);
    await idle.next((m) => m.type === 'hello');

    // Stop in the very turn the last line is accepted, while its output is still queued unsent.
    const { delivery } = srv.server;
    const toRoom = delivery.toRoom.bind(delivery);
    let stopped: Promise<void> | undefined;
    delivery.toRoom = (msg: ServerMessage, except?: string) => {
      toRoom(msg, except);
      if (msg.type === 'msg' && msg.text === 'line 20') stopped = srv.server.stop();
    };
    const frames = Array.from({ length: 20 }, (_, i) => ({ type: 'say', text: `line ${i + 1}` }) as const);
    for (const f of frames) alice.send(f);

    for (const c of [alice, bob]) {
      await c.whenClosed();
      const tail = c.received.filter((m) => m.type === 'msg' || m.type === 'bye');
      expect(tail.map((m) => (m.type === 'msg' ? m.text : `bye: ${m.message}`))).to.deep.equal([
        ...frames.map((f) => f.text),
        'bye: Server is shutting down',
      ]);
      // Shutdown ends sessions quietly: the bye says it all.
      expect(c.all('notice').filter((n) => n.event === 'leave' || n.event === 'pm_ended')).to.deep.equal([]);
    }
    await idle.whenClosed();
    expect(idle.all('bye').map((m) => m.message)).to.deep.equal(['Server is shutting down']);
    await stopped;
    expect(srv.logs).to.include('INFO Server shutting down');
    expect(srv.logs.at(-1)).to.equal('INFO Server stopped');
  });

  it('refuses new connections once stopped, and stop() may be called twice', async () => {
    await login('alice');
    const first = srv.server.stop();
    expect(srv.server.stop()).to.equal(first);
    await first;
    let refused: unknown;
    try {
      (await TestClient.connect(srv.port)).close();
    } catch (e) {
      refused = e;
    }
    expect(refused, 'connection refused').to.have.property('code', 'ECONNREFUSED');
  });

  it('leaves the users file intact and unlocked, so a new server opens it at once', async () => {
    await login('alice');
    await login('bob');
    await srv.server.stop();
    const users = JSON.parse(readFileSync(srv.db, 'utf8')).users as { name: string }[];
    expect(users.map((u) => u.name)).to.deep.equal(['alice', 'bob']);
    expect(existsSync(`${srv.db}.lock`)).to.equal(false);
    const again = await startServer({ db: srv.db });
    try {
      const a = await TestClient.login(again.port, 'alice');
      expect(a.me.created).to.equal(false);
      a.close();
    } finally {
      await again.stop();
    }
  });
});
