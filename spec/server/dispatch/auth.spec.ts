/**
 * Logging in over real TCP: registration on first login, passwords, name rules, duplicate logins,
 * guests (seed 000), and the users file on disk.
 */
import { expect } from 'chai';
import bcrypt from 'bcryptjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';
import { accountsOnDisk } from '../../support/accounts.js';

const RULE = 'invalid username: use 1 to 32 characters: letters of one script, digits, "_", "-" or "."';

/** Sends a login and resolves with the answer: login_ok or error. */
function tryLogin(c: TestClient, user: string, password: string): Promise<ServerMessage> {
  return c.request({ type: 'login', user, password }, (m) => m.type === 'login_ok' || m.type === 'error');
}

async function loginError(port: number, user: string, password: string): Promise<ServerMessage<'error'>> {
  const c = await TestClient.connect(port);
  try {
    const reply = await tryLogin(c, user, password);
    expect(reply.type, JSON.stringify(reply)).to.equal('error');
    return reply as ServerMessage<'error'>;
  } finally {
    c.close();
  }
}

const usersOnDisk = accountsOnDisk;

describe('auth: accounts', () => {
  let srv: Running;
  const clients: TestClient[] = [];
  const track = <T extends TestClient>(c: T) => (clients.push(c), c);

  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  it('greets with hello, registers an unknown name, and writes a bcrypt hash (never the password) to disk', async () => {
    const password = 'correct horse battery 7';
    const c = track(await TestClient.connect(srv.port));
    const hello = await c.next();
    expect(hello).to.deep.include({ type: 'hello', server: 'tinychat', guests: false });
    const ok = await tryLogin(c, 'alice', password);
    expect(ok).to.deep.include({ type: 'login_ok', user: 'alice', created: true, guest: false, online: ['alice'] });

    // login_ok comes only after the account is on disk.
    const raw = readFileSync(srv.db, 'utf8') + readFileSync(`${srv.db}.journal`, 'utf8');
    expect(raw).to.not.include(password);
    const users = usersOnDisk(srv.db);
    expect(users.map((u) => u.name)).to.deep.equal(['alice']);
    expect(users[0]!.hash).to.match(/^\$2[aby]\$04\$.{53}$/);
    expect(bcrypt.compareSync(password, users[0]!.hash)).to.equal(true);
    expect(srv.logs.join('\n')).to.not.include(password);
    expect(srv.logs).to.include('INFO User alice successfully registered');
  });

  it('logs in again with the same password, created: false', async () => {
    const first = await TestClient.login(srv.port, 'alice', 's3cret');
    first.send({ type: 'logout' });
    await first.whenClosed();
    const again = track(await TestClient.login(srv.port, 'alice', 's3cret'));
    expect(again.me).to.deep.include({ user: 'alice', created: false, guest: false });
    expect(usersOnDisk(srv.db)).to.have.length(1);
  });

  it('refuses a wrong password with a reason and keeps the connection open for another try', async () => {
    const first = await TestClient.login(srv.port, 'alice', 's3cret');
    first.send({ type: 'logout' });
    await first.whenClosed();

    const c = track(await TestClient.connect(srv.port));
    expect(await tryLogin(c, 'alice', 'wrong')).to.deep.include({ type: 'error', code: 'BAD_PASSWORD', message: 'wrong password' });
    expect(await tryLogin(c, 'alice', 'wrong again')).to.deep.include({ code: 'BAD_PASSWORD' });
    expect(await tryLogin(c, 'alice', 's3cret')).to.deep.include({ type: 'login_ok', user: 'alice', created: false });
    expect(srv.logs.filter((l) => l.startsWith('WARN Failed login for alice'))).to.have.length(2);
    expect(srv.logs.join('\n')).to.not.match(/wrong again|s3cret/);
  });

  it('refuses a second login of an account that is online with "already logged in"; the first stays', async () => {
    const first = track(await TestClient.login(srv.port, 'alice', 's3cret'));
    const e = await loginError(srv.port, 'alice', 's3cret');
    expect(e).to.deep.include({ code: 'ALREADY_LOGGED_IN', message: 'alice is already logged in' });
    first.send({ type: 'say', text: 'still me' });
    expect((await first.line()).text).to.equal('still me');
  });

  it('refuses a second login on a connection that is already logged in', async () => {
    const c = track(await TestClient.login(srv.port, 'alice'));
    expect(await tryLogin(c, 'bob', 'pw')).to.deep.include({ code: 'ALREADY_LOGGED_IN' });
    await c.sync();
    expect(srv.server.room.online()).to.deep.equal(['alice']);
  });

  it('treats Alice and alice as one account, keeping the spelling it was registered with', async () => {
    const a = await TestClient.login(srv.port, 'Alice', 's3cret');
    expect(await loginError(srv.port, 'alice', 's3cret')).to.deep.include({ message: 'Alice is already logged in' });
    a.send({ type: 'logout' });
    await a.whenClosed();
    expect((await loginError(srv.port, 'ALICE', 'other')).code).to.equal('BAD_PASSWORD');
    const again = track(await TestClient.login(srv.port, 'aLiCe', 's3cret'));
    expect(again.me).to.deep.include({ user: 'Alice', created: false });
    expect(usersOnDisk(srv.db).map((u) => u.name)).to.deep.equal(['Alice']);
  });

  it('refuses bad names with the rule, and the connection can try again', async () => {
    const c = track(await TestClient.connect(srv.port));
    for (const name of ['al ice', 'x'.repeat(33), 'bob!', '\u0410lice', 'a+b', 'tab\there']) {
      const reply = (await tryLogin(c, name, 'pw')) as ServerMessage<'error'>;
      expect(reply, JSON.stringify(name)).to.include({ code: 'BAD_NAME' });
      expect(reply.message, JSON.stringify(name)).to.satisfy((m: string) => m.startsWith(RULE));
    }
    expect(await tryLogin(c, 'x'.repeat(32), 'pw')).to.deep.include({ type: 'login_ok' });
    expect(usersOnDisk(srv.db).map((u) => u.name)).to.deep.equal(['x'.repeat(32)]);
  });

  it('refuses a second alice made with an invisible character or a stray mark; /who shows only alice', async () => {
    const alice = track(await TestClient.login(srv.port, 'alice', 'pw'));
    const c = track(await TestClient.connect(srv.port));
    for (const name of ['alice\u034f', 'alice\ufe0f', 'al\u034fice', 'alice\u{E0100}', '\u0301']) {
      const reply = (await tryLogin(c, name, 'pw2')) as ServerMessage<'error'>;
      expect(reply, JSON.stringify(name)).to.include({ code: 'BAD_NAME' });
      expect(reply.message, JSON.stringify(name)).to.satisfy((m: string) => m.startsWith(RULE));
    }
    expect(await alice.who()).to.deep.include({ online: ['alice'] });
    expect(usersOnDisk(srv.db).map((u) => u.name)).to.deep.equal(['alice']);
  });

  it('takes names in any one script: Mücahit registers, and MÜCAHIT or a decomposed ü is the same account', async () => {
    const first = track(await TestClient.login(srv.port, 'Mücahit', 'pw'));
    expect(first.me).to.include({ user: 'Mücahit', created: true });
    first.send({ type: 'logout' });
    await first.whenClosed();
    for (const typed of ['MÜCAHIT', 'Mu\u0308cahit']) {
      const again = track(await TestClient.login(srv.port, typed, 'pw'));
      expect(again.me, typed).to.include({ user: 'Mücahit', created: false });
      again.send({ type: 'logout' });
      await again.whenClosed();
    }
    expect(usersOnDisk(srv.db).map((u) => u.name)).to.deep.equal(['Mücahit']);
    const c = track(await TestClient.connect(srv.port));
    expect(await tryLogin(c, 'Mücahit', 'wrong'), 'the same password guards it').to.include({ code: 'BAD_PASSWORD' });
  });

  it('accepts __proto__ and constructor as ordinary account names', async () => {
    const p = track(await TestClient.login(srv.port, '__proto__'));
    const k = track(await TestClient.login(srv.port, 'constructor'));
    expect(p.me.created && k.me.created).to.equal(true);
    expect(usersOnDisk(srv.db).map((u) => u.name)).to.deep.equal(['__proto__', 'constructor']);
  });

  it('refuses passwords longer than 72 bytes (bcrypt would ignore the rest), counting bytes not characters', async () => {
    expect(await loginError(srv.port, 'alice', 'p'.repeat(73))).to.deep.include({
      code: 'PASSWORD_RULE',
      message: 'password rejected: use at most 72 bytes',
    });
    expect((await loginError(srv.port, 'bob', '€'.repeat(25))).code).to.equal('PASSWORD_RULE'); // 75 bytes
    expect(usersOnDisk(srv.db)).to.deep.equal([]);
    track(await TestClient.login(srv.port, 'carol', 'p'.repeat(72)));
    track(await TestClient.login(srv.port, 'dave', '€'.repeat(24))); // exactly 72 bytes
    expect(usersOnDisk(srv.db).map((u) => u.name)).to.deep.equal(['carol', 'dave']);
  });

  it('a password that only shares the first 72 bytes does not open an account', async () => {
    const a = await TestClient.login(srv.port, 'alice', 'p'.repeat(72));
    a.send({ type: 'logout' });
    await a.whenClosed();
    expect((await loginError(srv.port, 'alice', `${'p'.repeat(72)}extra`)).code).to.equal('PASSWORD_RULE');
  });

  it('requires a login before chatting: say, who, dm and private requests are refused', async () => {
    const c = track(await TestClient.connect(srv.port));
    const requests = [
      { type: 'say', text: 'hi' },
      { type: 'who' },
      { type: 'dm', to: 'bob', text: 'hi' },
      { type: 'pm_request', to: 'bob' },
      { type: 'pm_exit' },
      { type: 'logout' },
    ] as const;
    for (const msg of requests) {
      const e = await c.request(msg, (m) => m.type === 'error');
      expect(e, msg.type).to.deep.include({ code: 'NOT_LOGGED_IN', message: 'log in first' });
    }
    expect(await tryLogin(c, 'alice', 'pw')).to.deep.include({ type: 'login_ok' });
  });

  it('refuses an empty password when guests are off (the default)', async () => {
    expect(await loginError(srv.port, 'alice', '')).to.deep.include({
      code: 'GUESTS_DISABLED',
      message: 'guest logins are disabled on this server; choose a password to register',
    });
    expect(usersOnDisk(srv.db)).to.deep.equal([]);
  });

  it('keeps accounts across a restart on the same users file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-auth-'));
    try {
      const db = join(dir, 'users.json');
      const one = await startServer({ db });
      (await TestClient.login(one.port, 'alice', 's3cret')).close();
      await one.stop();
      const two = await startServer({ db });
      try {
        expect((await loginError(two.port, 'alice', 'nope')).code).to.equal('BAD_PASSWORD');
        const a = track(await TestClient.login(two.port, 'alice', 's3cret'));
        expect(a.me.created).to.equal(false);
      } finally {
        await two.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets a user whose connection dropped log in again with the password, and keeps the session', async () => {
    const bob = track(await TestClient.login(srv.port, 'bob'));
    const a = await TestClient.login(srv.port, 'alice', 's3cret');
    await bob.notice('join');
    a.close();
    // The drop only detaches the session: no leave notice, alice stays in the list.
    const again = track(await TestClient.login(srv.port, 'alice', 's3cret'));
    expect(again.me).to.deep.include({ user: 'alice', resumed: true, created: false });
    await bob.sync();
    expect(bob.all('notice').map((n) => n.event)).to.deep.equal(['join']);
  });
});

describe('auth: throttling failed logins (fake clock)', () => {
  it('makes an account wait after 5 wrong passwords in a minute, then lets the right one in', async () => {
    const clock = new FakeClock();
    const srv = await startServer({}, clock);
    try {
      (await TestClient.login(srv.port, 'alice', 's3cret')).close();
      const c = await TestClient.connect(srv.port);
      for (let i = 0; i < 5; i++) expect((await tryLogin(c, 'alice', `guess${i}`)).type).to.equal('error');
      const e = await tryLogin(c, 'alice', 's3cret');
      expect(e).to.deep.include({ code: 'LOGIN_THROTTLED', message: 'too many failed logins; try again in 60 s', retry: 60 });
      c.close();
      clock.advance(60_000);
      const ok = await TestClient.login(srv.port, 'alice', 's3cret');
      expect(ok.me.user).to.equal('alice');
      ok.close();
    } finally {
      await srv.stop();
    }
  });
});

describe('auth: guests (--allow-guests)', () => {
  let srv: Running;
  const clients: TestClient[] = [];
  const guest = async (user: string) => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    const reply = await tryLogin(c, user, '');
    return { c, reply };
  };

  beforeEach(async () => {
    srv = await startServer({ allowGuests: true });
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  it('says guests are allowed in hello, and logs in a guest with an empty password, stored nowhere', async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    expect(await c.next()).to.deep.include({ type: 'hello', guests: true });
    expect(await tryLogin(c, 'Emre', '')).to.deep.include({ type: 'login_ok', user: 'Emre', guest: true, created: false });
    expect(usersOnDisk(srv.db)).to.deep.equal([]);
    expect(srv.logs).to.include(`INFO Guest Emre logged in from 127.0.0.1:${c.socket.localPort}`);
  });

  it('gives a name already online _2, _3, … (seed 000), without regard to case', async () => {
    const names = [];
    for (const user of ['Emre', 'Emre', 'Emre', 'emre']) names.push(((await guest(user)).reply as ServerMessage<'login_ok'>).user);
    expect(names).to.deep.equal(['Emre', 'Emre_2', 'Emre_3', 'emre_4']);
    const who = await clients[0]!.who();
    expect(who).to.deep.include({ online: ['Emre', 'Emre_2', 'Emre_3', 'emre_4'] });
  });

  it('names a guest with an empty name Guest_ and a random suffix (not the source port, which would tell where from)', async () => {
    const names = [];
    for (let i = 0; i < 3; i++) {
      const { c, reply } = await guest('');
      expect(reply).to.deep.include({ type: 'login_ok', guest: true });
      const name = (reply as ServerMessage<'login_ok'>).user;
      expect(name).to.match(/^Guest_[0-9a-f]{6}$/);
      expect(name).to.not.include(String(c.socket.localPort));
      names.push(name);
    }
    expect(new Set(names).size).to.equal(3);
  });

  it('frees a guest name when the guest leaves', async () => {
    const { c } = await guest('Emre');
    c.send({ type: 'logout' });
    await c.whenClosed();
    expect((await guest('Emre')).reply).to.deep.include({ user: 'Emre' });
  });

  it("refuses a guest the name of an account, and skips accounts' names when numbering", async () => {
    (await TestClient.login(srv.port, 'alice', 's3cret')).close();
    for (const name of ['alice', 'ALICE']) {
      expect((await guest(name)).reply, name).to.deep.include({
        code: 'NAME_IN_USE',
        message: `${name} is a registered account; give its password, or pick another name`,
      });
    }
    (await TestClient.login(srv.port, 'Emre_2', 's3cret')).close();
    await guest('Emre');
    expect((await guest('Emre')).reply).to.deep.include({ user: 'Emre_3' });
  });

  it('numbers only into valid names: a long Cyrillic name cut into a Latin look-alike is refused, not handed out', async () => {
    // Valid whole (ж looks like no Latin letter); its first 30 letters read "hellohello…".
    const hello = `${'һеӏӏо'.repeat(6)}һж`;
    expect((await guest(hello)).reply).to.deep.include({ type: 'login_ok', user: hello });
    expect((await guest(hello)).reply).to.deep.include({
      code: 'NAME_IN_USE',
      message: `${hello} is in use, and cut to make room for a number it would break the name rules; pick another name`,
    });
    // A long Latin name is cut and numbered as before.
    const long = 'X'.repeat(32);
    await guest(long);
    expect((await guest(long)).reply).to.deep.include({ type: 'login_ok', user: `${'X'.repeat(30)}_2` });
    expect((await clients[0]!.who()).online).to.have.members([hello, long, `${'X'.repeat(30)}_2`]);
  });

  it('refuses a guest a bad name with the rule', async () => {
    expect((await guest('bad name')).reply).to.deep.include({ code: 'BAD_NAME', message: RULE });
  });

  it('does not let someone register a name a guest is using', async () => {
    const { c } = await guest('Emre');
    const e = await loginError(srv.port, 'Emre', 'pw');
    expect(e).to.deep.include({ code: 'NAME_IN_USE', message: 'Emre is in use by someone online; pick another name' });
    // The guest is still there, still reachable by name.
    c.send({ type: 'dm', to: 'Emre', text: 'me' });
    expect((await c.line()).text).to.equal('me');
    expect(usersOnDisk(srv.db)).to.deep.equal([]);
  });
});
