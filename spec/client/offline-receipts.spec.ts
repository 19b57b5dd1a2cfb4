/**
 * The client's side of offline messages at least once (client/offline-receipts.ts): the receipt
 * for each batch, each message shown once a run even when a batch comes again, the announcing
 * notice only before something new. The pure part with literal messages; the session against a
 * fake server that hands a batch again after a reconnect, and against the real server.
 */
import { expect } from 'chai';
import type net from 'node:net';
import type { ClientMessage, ServerMessage } from '../../common/protocol.js';
import { MAX_SEEN, OfflineReceipts } from '../../client/offline-receipts.js';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { FakeServer, loginOk } from './fake-server.js';
import { FakeUi } from './fake-ui.js';
import { quietSession } from './quiet-session.js';

const kept = (id: number, receipt = false): ServerMessage<'msg'> => ({
  type: 'msg', id, from: 'bob', ts: 1, scope: 'private', to: 'alice', text: `#${id}`, offline: true, ...(receipt ? { receipt: true } : {}),
});
const announce = (n: number): ServerMessage<'notice'> => ({ type: 'notice', event: 'offline_delivered', message: `${n} messages came while you were away:`, ts: 1 });
const live: ServerMessage<'msg'> = { type: 'msg', id: 50, from: 'bob', ts: 2, scope: 'group', text: 'hi' };

describe('client/offline-receipts', () => {
  /** What the client shows of `messages` in turn ("n" for a notice, the id for a line) and the receipts it sends. */
  const sort = (r: OfflineReceipts, messages: ServerMessage[]) => {
    const shown: (number | string)[] = [];
    const receipts: number[] = [];
    for (const m of messages) {
      const { show, receipt } = r.received(m);
      for (const s of show) shown.push(s.type === 'msg' ? s.id : 'n');
      if (receipt) receipts.push(receipt.id);
    }
    return { shown, receipts };
  };

  it('answers the last of each batch with a receipt for its id, and passes the rest on in order', () => {
    const r = new OfflineReceipts();
    expect(sort(r, [announce(3), kept(1), kept(2, true), live, kept(3, true)])).to.deep.equal({ shown: ['n', 1, 2, 50, 3], receipts: [2, 3] });
  });

  it('shows a batch that comes again (its receipt lost with a connection) once, announced once, and still confirms it', () => {
    const r = new OfflineReceipts();
    sort(r, [announce(2), kept(1), kept(2, true)]);
    expect(sort(r, [announce(2), kept(1), kept(2, true)]), 'all seen: nothing, not even the notice').to.deep.equal({ shown: [], receipts: [2] });
    expect(sort(r, [announce(3), kept(1), kept(2, true), kept(3, true)]), 'the notice before the first new one').to.deep.equal({ shown: ['n', 3], receipts: [2, 3] });
  });

  it('shows nothing of a receipt the server did not expect (nothing the user could do), and passes other errors on', () => {
    const r = new OfflineReceipts();
    const error = (code: string): ServerMessage<'error'> => ({ type: 'error', code, message: 'x' });
    expect(r.received(error('RECEIPT_UNEXPECTED'))).to.deep.equal({ show: [] });
    expect(r.received(error('MUTED')).show).to.have.length(1);
  });

  it(`remembers the newest ${MAX_SEEN} ids, no more`, () => {
    const r = new OfflineReceipts();
    sort(r, Array.from({ length: MAX_SEEN + 1 }, (_, i) => kept(i + 1)));
    expect(sort(r, [kept(2), kept(1)]).shown, 'the oldest is forgotten; the next oldest is not').to.deep.equal([1]);
  });
});

describe('client/session: offline messages at least once', () => {
  /** Advances fake time in small steps, letting real I/O run in between, until `done`. */
  async function run(clock: FakeClock, maxMs: number, done: () => boolean): Promise<void> {
    for (let t = 0; t < maxMs && !done(); t += 25) {
      clock.advance(25);
      await new Promise((r) => setImmediate(r));
    }
  }
  const session = (port: number, ui: FakeUi) => quietSession(port, ui);

  it('says it sends receipts, confirms a batch, and shows a batch that comes again after a reconnect only once', async () => {
    const got: ClientMessage[] = [];
    const batch = (socket: net.Socket) => [announce(2), kept(1), kept(2, true)].forEach((m) => FakeServer.send(socket, m));
    const fake = await FakeServer.start((socket, m) => {
      got.push(m);
      if (m.type === 'login') FakeServer.send(socket, loginOk());
      if (m.type === 'resume') FakeServer.send(socket, loginOk({ resumed: true }));
      if (m.type === 'login' || m.type === 'resume') batch(socket);
      // The receipt lost with the connection: the server hands the batch again after the resume.
      if (m.type === 'received' && got.filter((g) => g.type === 'received').length === 1) socket.destroy();
    });
    const ui = new FakeUi();
    const { clock } = session(fake.port, ui);
    try {
      await ui.waitFor(/Reconnecting|reconnecting/);
      await run(clock, 5000, () => got.some((g) => g.type === 'resume'));
      await waitUntil(() => got.filter((g) => g.type === 'received').length === 2, 'the second receipt');
      const login = got.find((g) => g.type === 'login') as ClientMessage<'login'>;
      expect(login.features).to.include('receipts');
      expect(got.filter((g) => g.type === 'received')).to.deep.equal([{ type: 'received', id: 2 }, { type: 'received', id: 2 }]);
      ui.chat!.interrupt();
      // Without their time, which is the local one.
      expect(ui.lines.filter((l) => /#1|#2|came while you were away/.test(l)).map((l) => l.replace(/^\[[^\]]*\] /, ''))).to.deep.equal([
        '*** 2 messages came while you were away:',
        '(while you were away) [private] bob -> alice: #1',
        '(while you were away) [private] bob -> alice: #2',
      ]);
    } finally {
      await fake.close();
    }
  });

  it('on the real server: the messages kept show marked "(while you were away)", and are deleted once confirmed', async () => {
    const srv = await startServer();
    try {
      const away = await TestClient.login(srv.port, 'alice');
      away.send({ type: 'logout' });
      await away.whenClosed();
      const bob = await srv.login('bob');
      for (const text of ['first', 'second']) {
        bob.send({ type: 'dm', to: 'alice', text });
        await bob.notice('offline_stored');
      }
      const ui = new FakeUi();
      session(srv.port, ui);
      await ui.waitFor(/\(while you were away\) \[private\] bob -> alice: second$/);
      expect(ui.has(/\(while you were away\) \[private\] bob -> alice: first$/)).to.equal(true);
      await waitUntil(() => srv.logs.includes('INFO Offline messages: 2 delivered to alice'), 'the receipt applied');
      ui.chat!.interrupt();
    } finally {
      await srv.stop();
    }
  });
});
