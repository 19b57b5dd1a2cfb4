/**
 * Receipts for offline messages against the real server (real TCP, real files): a client with
 * the `receipts` feature has a batch deleted only once it says the batch arrived (`received`), so
 * a batch its connection took but never confirmed (the connection cut) comes again at the next
 * login; a client that confirms gets each message once; a client without the feature keeps the
 * old behaviour (deleted once its connection took them); a receipt for nothing is refused; a
 * client that never confirms holds its login's catch-up only for the heartbeat timeout (fake
 * clock, real heartbeats) and gets the messages again at the next login.
 */
import { expect } from 'chai';
import type { Feature, ServerMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';
import { pass } from '../../support/heartbeats.js';
import { waitUntil } from '../../support/wait.js';

type Msg = ServerMessage<'msg'>;

/** Near --max-body: four of these fill a batch of 256 KiB (a quarter of the default --max-output). */
const BIG = 60_000;

describe('receipts for offline messages (real server, real files)', function () {
  this.timeout(30_000);
  let srv: Running;
  const clients: TestClient[] = [];
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv?.stop();
  });

  const login = async (name: string, features?: Feature[]) => {
    const c = await TestClient.login(srv.port, name, 'pw', features);
    clients.push(c);
    return c;
  };
  const offline = (c: TestClient) => c.all('msg').filter((m) => m.offline === true);
  /** bob has an account and is offline; alice leaves him `texts`, each stored before the next. */
  const keepForBob = async (texts: string[], clock?: FakeClock) => {
    srv = await startServer({ rateCount: 1000 }, clock);
    const bob = await login('bob');
    bob.send({ type: 'logout' });
    await bob.whenClosed();
    const alice = await login('alice');
    for (const text of texts) {
      alice.send({ type: 'dm', to: 'bob', text });
      if (clock) {
        await alice.sync(); // the write is batched: its timer is set once the server has read the message
        clock.advance(100);
      }
      await alice.notice('offline_stored');
    }
    return alice;
  };
  /** Cuts `c`'s connection (no logout), and waits until the server has seen it go. */
  const cut = async (c: TestClient) => {
    c.close();
    await waitUntil(() => srv.server.room.find('bob')?.at === null, 'the server saw the connection go');
  };
  /** Logs `c` out and bob in again: the offline messages that login gets. */
  const atNextLogin = async (c: TestClient) => {
    c.send({ type: 'logout' });
    await c.whenClosed();
    const again = await login('bob', ['receipts']);
    await again.sync();
    return offline(again);
  };
  /** Waits for bob's offline messages up to the one marked for a receipt, or with id `last`. */
  const batchEnd = (c: TestClient, last: number) => c.next<Msg>((m) => m.type === 'msg' && m.offline === true && (m.receipt === true || m.id >= last));

  it('sends again at the next login a batch whose connection was cut before the receipt', async () => {
    await keepForBob(['one', 'two', 'three']);
    const first = await login('bob', ['receipts']);
    const end = await batchEnd(first, 3);
    expect(end.receipt, 'the last of the batch asks for a receipt').to.equal(true);
    const ids = offline(first).map((m) => m.id);
    expect(offline(first).map((m) => m.text)).to.deep.equal(['one', 'two', 'three']);
    await cut(first);
    const second = await login('bob', ['receipts']);
    await batchEnd(second, 3);
    expect(offline(second).map((m) => [m.id, m.text]), 'the same messages, the same ids').to.deep.equal(ids.map((id, i) => [id, ['one', 'two', 'three'][i]]));
    second.send({ type: 'received', id: ids.at(-1)! });
    await second.sync();
    expect(await atNextLogin(second), 'received: deleted').to.deep.equal([]);
  });

  it('hands batch after batch to a client that confirms each, every message once, in order', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `#${i + 1} ${'r'.repeat(BIG)}`);
    await keepForBob(texts);
    const bob = await login('bob', ['receipts']);
    let receipts = 0;
    for (;;) {
      const end = await batchEnd(bob, Number.MAX_SAFE_INTEGER);
      bob.send({ type: 'received', id: end.id });
      receipts++;
      if (offline(bob).length >= texts.length) break;
    }
    await bob.sync();
    expect(offline(bob).map((m) => m.text)).to.deep.equal(texts);
    expect(receipts, 'four to a batch').to.equal(3);
    expect(srv.logs).to.include('INFO Offline messages: 10 delivered to bob');
    expect(await atNextLogin(bob), 'each once').to.deep.equal([]);
  });

  it('refuses a receipt for no batch, or for another id, with an error, and deletes nothing', async () => {
    await keepForBob(['one', 'two']);
    const bob = await login('bob', ['receipts']);
    const end = await batchEnd(bob, 2);
    const wrong = (await bob.request({ type: 'received', id: end.id + 100 }, (m) => m.type === 'error')) as ServerMessage<'error'>;
    expect(wrong).to.include({ code: 'RECEIPT_UNEXPECTED', message: `received ${end.id + 100}: the offline messages waiting for a receipt end at ${end.id}; nothing was deleted` });
    const header = Buffer.from(JSON.stringify({ type: 'received', id: 'x' }));
    bob.raw(Buffer.concat([Buffer.from([0, header.length]), header]));
    expect((await bob.error()).code, 'malformed').to.equal('BAD_FIELD');
    await cut(bob);
    const back = await login('bob', ['receipts']);
    await batchEnd(back, 2);
    expect(offline(back).map((m) => m.text), 'nothing was deleted').to.deep.equal(['one', 'two']);
    back.send({ type: 'received', id: end.id });
    await back.sync();
    expect((await back.request({ type: 'received', id: end.id }, (m) => m.type === 'error')) as ServerMessage<'error'>).to.include({
      code: 'RECEIPT_UNEXPECTED',
      message: `received ${end.id}: no offline messages are waiting for a receipt; nothing was deleted`,
    });
    expect(back.closed).to.equal(false);
  });

  it('without the feature: no receipt asked, and a batch is deleted once the connection took it (as before)', async () => {
    await keepForBob(['one', 'two']);
    const first = await login('bob');
    await batchEnd(first, 2);
    expect(offline(first).some((m) => m.receipt !== undefined)).to.equal(false);
    const refused = (await first.request({ type: 'received', id: 2 }, (m) => m.type === 'error')) as ServerMessage<'error'>;
    expect(refused.code).to.equal('RECEIPT_UNEXPECTED');
    await cut(first);
    const second = await login('bob');
    await second.sync();
    expect(offline(second)).to.deep.equal([]);
  });

  it('goes on with the login after the heartbeat timeout without a receipt, and hands the batch again at the next login', async () => {
    const clock = new FakeClock();
    const alice = await keepForBob(['one', 'two', 'three'], clock);
    alice.send({ type: 'say', group: true, text: 'said before bob came' });
    await alice.sync();
    const bob = await login('bob', ['receipts']);
    const hb = await srv.beater(bob.me);
    const end = await batchEnd(bob, 3);
    await bob.sync();
    const replayed = () => bob.all('msg').filter((m) => m.replay === true).map((m) => m.text);
    expect([end.receipt, replayed()], 'the lines replayed wait for the receipt').to.deep.equal([true, []]);
    // bob's client stays (it beats), and never confirms.
    await pass(clock, 20_000, [hb]);
    await bob.notice('live');
    expect(replayed(), 'then they come').to.deep.equal(['said before bob came']);
    expect(srv.logs.filter((l) => l.includes('did not confirm'))).to.deep.equal([
      "WARN Offline messages: bob's client did not confirm receiving 3 within 20 s; they stay kept for the next login, with the 0 not sent (a receipt that comes later still counts)",
    ]);
    expect(bob.closed, 'still connected').to.equal(false);
    const again = await atNextLogin(bob);
    expect(again.map((m) => [m.id, m.text]), 'kept: the same messages, the same ids').to.deep.equal(offline(bob).map((m) => [m.id, m.text]));
    expect(again.at(-1)?.receipt).to.equal(true);
  });
});
