/**
 * Logins under load and under attack: bcrypt off the event loop with a bounded queue, brute-force
 * throttling by account and by address, and bcrypt's 72-byte limit.
 */
import { expect } from 'chai';
import type { ServerMessage } from '../../common/protocol.js';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { connectFrom, tryLogin } from './support.js';
import { waitUntil } from '../support/wait.js';

/** Opens `n` connections, then sends all their logins at once; resolves with every answer. */
async function loginsAtOnce(port: number, users: string[], password = 'pw'): Promise<ServerMessage[]> {
  const clients = await Promise.all(users.map(() => TestClient.connect(port)));
  return Promise.all(clients.map((c, i) => tryLogin(c, users[i]!, password)));
}

describe('hostile: logins under load', function () {
  this.timeout(30_000);
  let srv: Running;
  afterEach(async () => srv.stop());

  it('keeps chat moving while bcrypt works on several logins', async () => {
    srv = await startServer({ bcryptCost: 10, hashThreads: 2 });
    const alice = await TestClient.login(srv.port, 'alice');
    const bob = await TestClient.login(srv.port, 'bob');
    const authenticating = () => [...srv.server.listener['conns']].filter((c) => c.state === 'authenticating').length;
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    const clients = await Promise.all(users.map(() => TestClient.connect(srv.port)));
    const logins = clients.map((c, i) => tryLogin(c, users[i]!, 'pw'));
    // With bcrypt on the event loop each login would finish inside its own read: never all six at once.
    await waitUntil(() => authenticating() === 6, 'six logins in progress at once');
    alice.send({ type: 'say', text: 'ping' });
    expect(await bob.line()).to.include({ text: 'ping' });
    expect(authenticating(), 'logins still hashing when the chat line arrived').to.be.at.least(1);
    for (const reply of await Promise.all(logins)) expect(reply.type).to.equal('login_ok');
  });

  it('answers "server busy" when the hash queue is full, and the retry succeeds', async () => {
    srv = await startServer({ bcryptCost: 11, hashThreads: 1, hashQueue: 1 });
    const users = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];
    const replies = await loginsAtOnce(srv.port, users);
    const busy = replies.filter((r) => r.type === 'error' && r.code === 'SERVER_BUSY');
    const ok = replies.filter((r) => r.type === 'login_ok');
    expect(busy.length, JSON.stringify(replies)).to.be.at.least(1);
    expect(ok.length).to.be.at.least(2);
    expect(busy.length + ok.length).to.equal(users.length);
    expect(busy[0]).to.include({ message: 'server busy, try again' });
    const refused = users.find((_, i) => replies[i]!.type === 'error')!;
    expect((await TestClient.login(srv.port, refused)).me.user).to.equal(refused);
  });
});

describe('hostile: brute force', function () {
  this.timeout(30_000);
  let srv: Running;
  let clock: FakeClock;
  beforeEach(async () => {
    clock = new FakeClock();
    srv = await startServer({ maxFailures: 3, heartbeatTimeout: 3600, loginTimeout: 3600 }, clock);
    (await TestClient.login(srv.port, 'victim', 'right')).close();
  });
  afterEach(async () => srv.stop());

  it('makes further attempts on an account wait after maxFailures, says how long, and lifts after the window', async () => {
    const c = await TestClient.connect(srv.port);
    for (let i = 0; i < 3; i++) expect(await tryLogin(c, 'victim', `guess${i}`)).to.include({ code: 'BAD_PASSWORD' });
    const throttled = await tryLogin(c, 'victim', 'right');
    expect(throttled).to.deep.include({ code: 'LOGIN_THROTTLED', retry: 60 });
    expect((throttled as { message: string }).message).to.equal('too many failed logins; try again in 60 s');
    clock.advance(30_000);
    expect(await tryLogin(c, 'victim', 'right')).to.deep.include({ code: 'LOGIN_THROTTLED', retry: 30 });
    clock.advance(30_001);
    expect(await tryLogin(c, 'victim', 'right')).to.include({ type: 'login_ok', user: 'victim' });
  });

  it('slows an account guessed at from many addresses (4 x maxFailures in 10 min), never locking its owner out', async () => {
    for (let i = 2; i < 14; i++) {
      const c = await connectFrom(srv.port, `127.0.0.${i}`);
      expect(await tryLogin(c, 'victim', 'guess')).to.include({ code: 'BAD_PASSWORD' });
    }
    const c = await connectFrom(srv.port, '127.0.0.20');
    expect(await tryLogin(c, 'victim', 'right')).to.deep.include({ code: 'LOGIN_THROTTLED', retry: 600 });
    expect(await tryLogin(c, 'someone', 'pw'), 'only that account').to.include({ type: 'login_ok' });
    // victim registered from 127.0.0.1: the owner's address is not held by strangers' guesses.
    const owner = await TestClient.connect(srv.port);
    expect(await tryLogin(owner, 'victim', 'right')).to.include({ type: 'login_ok', user: 'victim' });
  });

  it('throttles an address that guesses at several accounts, and only that address', async () => {
    for (const user of ['v1', 'v2', 'v3']) (await TestClient.login(srv.port, user, 'right')).close();
    const attacker = await connectFrom(srv.port, '127.0.0.6');
    for (const user of ['v1', 'v2', 'v3']) expect(await tryLogin(attacker, user, 'guess')).to.include({ code: 'BAD_PASSWORD' });
    expect(await tryLogin(attacker, 'victim', 'right')).to.include({ code: 'LOGIN_THROTTLED' });
    expect(await tryLogin(attacker, 'newcomer', 'pw'), 'registering counts too').to.include({ code: 'LOGIN_THROTTLED' });
    const other = await TestClient.connect(srv.port);
    expect(await tryLogin(other, 'v1', 'right')).to.include({ type: 'login_ok' });
  });

  it('does not let many connections guessing at once outrun the limit', async () => {
    // A slow hash, so that every guess arrives while the first ones are still being checked.
    await srv.stop();
    srv = await startServer({ maxFailures: 3, heartbeatTimeout: 3600, loginTimeout: 3600, bcryptCost: 10 }, clock);
    (await TestClient.login(srv.port, 'victim', 'right')).close();
    const replies = await loginsAtOnce(srv.port, Array(12).fill('victim'), 'guess');
    const wrong = replies.filter((r) => r.type === 'error' && r.code === 'BAD_PASSWORD').length;
    const throttled = replies.filter((r) => r.type === 'error' && r.code === 'LOGIN_THROTTLED').length;
    expect(wrong, JSON.stringify(replies)).to.be.within(3, 5);
    expect(wrong + throttled).to.equal(12);
  });
});

describe('hostile: what a stranger can learn about names, and how fast', () => {
  let srv: Running;
  afterEach(async () => srv.stop());

  // The clock stands still in these: the wait is counted from the first failure, and a wrong
  // password's hash between them may take over a second on a busy machine (it would say 59 s).
  it('counts a password rule applied to a new name like a wrong password: probing is throttled per address', async () => {
    srv = await startServer({ minPassword: 8, maxFailures: 3 }, new FakeClock());
    (await TestClient.login(srv.port, 'victim', 'long enough')).close();
    const c = await connectFrom(srv.port, '127.0.0.30');
    expect(await tryLogin(c, 'nobody1', 'short')).to.include({ code: 'PASSWORD_RULE' });
    expect(await tryLogin(c, 'victim', 'short')).to.include({ code: 'BAD_PASSWORD' });
    expect(await tryLogin(c, 'nobody2', 'short')).to.include({ code: 'PASSWORD_RULE' });
    expect(await tryLogin(c, 'nobody3', 'short'), 'a fourth probe').to.deep.include({ code: 'LOGIN_THROTTLED', retry: 60 });
    expect(await tryLogin(c, 'victim', 'long enough'), 'the right password too, from there').to.include({ code: 'LOGIN_THROTTLED' });
  });

  it('counts a guest login refused because the name is an account', async () => {
    srv = await startServer({ allowGuests: true, maxFailures: 2 }, new FakeClock());
    (await TestClient.login(srv.port, 'victim', 'pw')).close();
    const c = await connectFrom(srv.port, '127.0.0.31');
    for (let i = 0; i < 2; i++) expect(await tryLogin(c, 'victim', '')).to.include({ code: 'NAME_IN_USE' });
    expect(await tryLogin(c, 'victim', '')).to.deep.include({ code: 'LOGIN_THROTTLED', retry: 60 });
    const other = await connectFrom(srv.port, '127.0.0.32');
    expect(await tryLogin(other, 'visitor', ''), 'another address').to.include({ type: 'login_ok', guest: true });
  });

  it('lets one address create only --max-registrations accounts an hour', async () => {
    const clock = new FakeClock();
    srv = await startServer({ maxRegistrations: 2, heartbeatTimeout: 7200, loginTimeout: 7200 }, clock);
    const c = await connectFrom(srv.port, '127.0.0.33');
    expect(await tryLogin(c, 'new1', 'pw')).to.include({ type: 'login_ok', created: true });
    const d = await connectFrom(srv.port, '127.0.0.33');
    expect(await tryLogin(d, 'new2', 'pw')).to.include({ type: 'login_ok', created: true });
    const e = await connectFrom(srv.port, '127.0.0.33');
    expect(await tryLogin(e, 'new3', 'pw')).to.deep.include({
      code: 'REGISTRATIONS_THROTTLED',
      message: 'too many new accounts from your address; try again in 3600 s',
      retry: 3600,
    });
    const f = await connectFrom(srv.port, '127.0.0.34');
    expect(await tryLogin(f, 'new3', 'pw'), 'another address').to.include({ type: 'login_ok', created: true });
    clock.advance(3600_000);
    expect(await tryLogin(e, 'new4', 'pw')).to.include({ type: 'login_ok', created: true });
  });

  it('does not let registrations sent at once outrun --max-registrations', async () => {
    // A slow hash, so that every registration arrives while the first ones are still hashing.
    srv = await startServer({ maxRegistrations: 2, bcryptCost: 10 });
    const clients = await Promise.all(Array.from({ length: 6 }, () => connectFrom(srv.port, '127.0.0.35')));
    const replies = await Promise.all(clients.map((c, i) => tryLogin(c, `burst${i}`, 'pw')));
    const created = replies.filter((r) => r.type === 'login_ok');
    const throttled = replies.filter((r) => r.type === 'error' && r.code === 'REGISTRATIONS_THROTTLED');
    expect(created, JSON.stringify(replies)).to.have.length(2);
    expect(throttled).to.have.length(4);
  });
});

describe('hostile: password rules', () => {
  let srv: Running;
  afterEach(async () => srv.stop());

  it('refuses passwords over 72 bytes with the rule instead of cutting them', async () => {
    srv = await startServer();
    const c = await TestClient.connect(srv.port);
    const long = `${'a'.repeat(71)}é`; // 72 characters, 73 bytes
    expect(await tryLogin(c, 'alice', long)).to.deep.include({
      code: 'PASSWORD_RULE',
      message: 'password rejected: use at most 72 bytes',
    });
    const exact = 'b'.repeat(72);
    expect(await tryLogin(c, 'alice', exact)).to.include({ type: 'login_ok', created: true });
    c.send({ type: 'logout' });
    await c.whenClosed();
    // bcrypt would accept anything that starts with the 72 bytes; the server does not.
    const d = await TestClient.connect(srv.port);
    expect(await tryLogin(d, 'alice', `${exact}extra`)).to.include({ code: 'PASSWORD_RULE' });
    expect(await tryLogin(d, 'alice', exact)).to.include({ type: 'login_ok' });
  });

  it('enforces the minPassword option on new accounts', async () => {
    srv = await startServer({ minPassword: 8 });
    const c = await TestClient.connect(srv.port);
    expect(await tryLogin(c, 'alice', 'seven77')).to.deep.include({
      code: 'PASSWORD_RULE',
      message: 'password rejected: use at least 8 characters',
    });
    expect(await tryLogin(c, 'alice', 'eight888')).to.include({ type: 'login_ok' });
  });
});
