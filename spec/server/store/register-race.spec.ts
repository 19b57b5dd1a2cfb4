/**
 * Two registrations of one new name at once: exactly one wins, the other is told NAME_IN_USE and
 * may go on. In real use this only happens in a race (both hash their passwords before either
 * account exists); here the hasher is held by the test, as in hostile/limits.spec.ts, so both are
 * certainly past the first check when the hashes come back, in an order the test chooses.
 */
import { expect } from 'chai';
import bcrypt from 'bcryptjs';
import type { ServerMessage } from '../../../common/protocol.js';
import type { AccountStore } from '../../../server/store/accounts.js';
import type { Hasher } from '../../../server/store/hasher.js';
import type { AppendLog } from '../../../server/store/append-log.js';
import { LOGIN_WAIT_MS, startServer, TestClient, type Running } from '../../support/harness.js';
import { FakeClock } from '../../support/fake-clock.js';
import { waitUntil } from '../../support/wait.js';
import { accountsOnDisk } from '../../support/accounts.js';

describe('auth: concurrent registrations of one name (hasher held by the test)', () => {
  let srv: Running;
  let realHash: Hasher['hash'];
  /** Hash jobs the server asked for and the test has not answered yet, oldest first. */
  let held: { password: string; resolve: (hash: string) => void }[];
  let holding: boolean;
  const clients: TestClient[] = [];

  /**
   * A server whose hasher the test holds. Its clock stands still: a retry counted from the first
   * registration says 3600 s however long the hashes took on a busy machine (3599 once it was).
   */
  const start = async (config: Parameters<typeof startServer>[0] = {}) => {
    srv = await startServer(config, new FakeClock());
    const hasher = (srv.server as unknown as { services: { hasher: Hasher } }).services.hasher;
    realHash = hasher.hash.bind(hasher);
    held = [];
    holding = true;
    hasher.hash = (password, cost, wanted) =>
      holding ? new Promise((resolve) => held.push({ password, resolve })) : realHash(password, cost, wanted);
  };
  beforeEach(async () => start());
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  const connect = async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    return c;
  };
  /** A login's answer: it waits for hashes, which take seconds on a busy machine (LOGIN_WAIT_MS). */
  const answer = (c: TestClient) => c.next((m) => m.type === 'login_ok' || m.type === 'error', LOGIN_WAIT_MS);

  it('the first hash back wins; the other gets NAME_IN_USE, nothing is stored for it, and its connection stays usable', async () => {
    const a = await connect();
    const b = await connect();
    const aReply = answer(a);
    const bReply = answer(b);
    a.send({ type: 'login', user: 'alice', password: 'pw-a' });
    await waitUntil(() => held.length === 1, "a's registration to reach the hasher");
    b.send({ type: 'login', user: 'Alice', password: 'pw-b' }); // the same name, in another case
    await waitUntil(() => held.length === 2, "b's registration to reach the hasher");
    expect(held.map((h) => h.password)).to.deep.equal(['pw-a', 'pw-b']);

    const hashes = [await realHash('pw-a', 4), await realHash('pw-b', 4)];
    held[0]!.resolve(hashes[0]!);
    held[1]!.resolve(hashes[1]!); // same turn: b checks again while a's account is being written

    expect(await aReply).to.deep.include({ type: 'login_ok', user: 'alice', created: true });
    expect(await bReply).to.deep.equal({
      type: 'error',
      code: 'NAME_IN_USE',
      message: 'Alice was just registered from another connection; log in with its password or pick another name',
    });
    const users = accountsOnDisk(srv.db);
    expect(users.map((u) => u.name)).to.deep.equal(['alice']);
    expect(bcrypt.compareSync('pw-a', users[0]!.hash)).to.equal(true);
    expect(srv.logs.filter((l) => l.includes('successfully registered'))).to.deep.equal(['INFO User alice successfully registered']);

    // b may try again on the same connection: the name now needs alice's password (and she is online).
    holding = false;
    expect(await b.request({ type: 'login', user: 'alice', password: 'pw-b' }, (m) => m.type === 'error')).to.include({
      code: 'BAD_PASSWORD',
    });
    const ok = (await b.request({ type: 'login', user: 'bob', password: 'pw-b' }, (m) => m.type !== 'error')) as ServerMessage<'login_ok'>;
    expect(ok).to.deep.include({ type: 'login_ok', user: 'bob', created: true });
    expect(ok.online).to.deep.equal(['alice', 'bob']);
  });

  it('counts registrations being hashed toward --max-registrations, and the one that lost its name gives its place back', async () => {
    await srv.stop();
    await start({ maxRegistrations: 2 });
    const [a, b, c] = [await connect(), await connect(), await connect()];
    const [aReply, bReply] = [answer(a), answer(b)];
    a.send({ type: 'login', user: 'alice', password: 'pw-a' });
    b.send({ type: 'login', user: 'Alice', password: 'pw-b' });
    await waitUntil(() => held.length === 2, 'both registrations to reach the hasher');
    // Both places of this address are held by registrations under way: not a third.
    expect(await c.request({ type: 'login', user: 'carol', password: 'pw' }, (m) => m.type === 'error')).to.deep.include({
      code: 'REGISTRATIONS_THROTTLED',
      retry: 1,
    });
    const hashes = [await realHash('pw-a', 4), await realHash('pw-b', 4)];
    held[0]!.resolve(hashes[0]!);
    held[1]!.resolve(hashes[1]!);
    expect(await aReply).to.deep.include({ type: 'login_ok', user: 'alice', created: true });
    expect(await bReply).to.include({ code: 'NAME_IN_USE' });
    // b made no account: its place is free again, for one more, and then the hour is full.
    holding = false;
    expect(await c.request({ type: 'login', user: 'carol', password: 'pw' }, (m) => m.type === 'login_ok' || m.type === 'error')).to.deep.include({
      type: 'login_ok',
      created: true,
    });
    expect(await b.request({ type: 'login', user: 'dave', password: 'pw' }, (m) => m.type === 'error')).to.deep.include({
      code: 'REGISTRATIONS_THROTTLED',
      retry: 3600,
    });
  });

  it('a resume sent while the login is still being checked is refused, and the login goes on', async () => {
    const c = await connect();
    const reply = answer(c);
    c.send({ type: 'login', user: 'carol', password: 'pw' });
    await waitUntil(() => held.length === 1, 'the registration to reach the hasher');
    c.send({ type: 'resume', session: 'whatever', token: 'whatever' });
    expect(await reply).to.deep.include({ type: 'error', code: 'ALREADY_LOGGED_IN', message: 'a login is already under way on this connection; wait for its answer' });
    c.send({ type: 'login', user: 'carol', password: 'pw' });
    expect(await c.error()).to.deep.include({ code: 'ALREADY_LOGGED_IN', message: 'a login is already under way on this connection; wait for its answer' });
    held[0]!.resolve(await realHash('pw', 4));
    expect(await c.next((m) => m.type === 'login_ok')).to.deep.include({ user: 'carol', created: true });
  });
});

describe('auth: a guest name and a registration in flight (users file write held by the test)', () => {
  let srv: Running;
  let release: () => void;
  const clients: TestClient[] = [];
  const store = () => (srv.server as unknown as { services: { store: AccountStore } }).services.store;

  beforeEach(async () => {
    srv = await startServer({ allowGuests: true });
    // The account store reserves the name at once and writes it; the test holds the write to the
    // journal itself, so the name stays in flight until released. (Holding only the promise
    // create() gave back let the store finish its write and forget the name: a wait for it in
    // flight then missed it now and then, and timed out.)
    const journal = (store() as unknown as { journal: AppendLog }).journal;
    const append = journal.append.bind(journal);
    const gate = new Promise<void>((r) => (release = r));
    journal.append = (path, line) => gate.then(() => append(path, line));
  });
  afterEach(async () => {
    release();
    clients.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  const connect = async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    return c;
  };
  const answer = (c: TestClient) => c.next((m) => m.type === 'login_ok' || m.type === 'error', LOGIN_WAIT_MS);

  it('numbers a guest past a name being registered, so two sessions never share one name', async () => {
    const emre = await connect();
    emre.send({ type: 'login', user: 'Emre', password: '' });
    expect(await answer(emre)).to.include({ type: 'login_ok', user: 'Emre', guest: true });
    const registering = await connect();
    const registered = answer(registering);
    registering.send({ type: 'login', user: 'Emre_2', password: 'pw' });
    await waitUntil(() => store().inFlight('Emre_2') !== undefined, 'the registration to be written');
    const second = await connect();
    second.send({ type: 'login', user: 'Emre', password: '' });
    expect(await answer(second), 'not Emre_2: it is being registered').to.include({ type: 'login_ok', user: 'Emre_3', guest: true });
    release();
    expect(await registered).to.include({ type: 'login_ok', user: 'Emre_2', created: true });
    expect((await emre.who()).online).to.deep.equal(['Emre', 'Emre_2', 'Emre_3']);
  });
});
