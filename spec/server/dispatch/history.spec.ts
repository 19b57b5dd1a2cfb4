/**
 * History and offline delivery against the real server (real TCP, real files in a temp folder):
 * the last lines replayed at login, marked and in order; /history paging to the start; a login
 * that says what it saw last after a restart; messages kept for offline accounts, acknowledged,
 * delivered once at the next login, also after a restart; caps; history off.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerMessage } from '../../../common/protocol.js';
import type { ServerConfig } from '../../../server/config.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';

type Msg = ServerMessage<'msg'>;

describe('history and offline delivery (real server, real files)', () => {
  let srv: Running;
  const clients: TestClient[] = [];
  const start = async (config: Partial<ServerConfig> = {}, clock?: FakeClock) => {
    srv = await startServer({ rateCount: 1000, allowGuests: true, ...config }, clock);
  };
  const login = async (name: string, password = 'pw', port = srv.port) => {
    const c = await TestClient.login(port, name, password);
    clients.push(c);
    return c;
  };
  /** Logs in and out again, so that the account exists and its owner is offline. */
  const away = async (name: string) => {
    const c = await login(name);
    c.send({ type: 'logout' });
    await c.whenClosed();
  };
  const say = async (c: TestClient, texts: string[]) => {
    for (const text of texts) c.send({ type: 'say', text });
    await c.sync();
  };
  /** Servers stopped for a restart: their temp folder (with the files the next one uses) goes last. */
  const earlier: Running[] = [];
  /** Stops the server and starts another on the same users file and data folder. */
  const restart = async (config: Partial<ServerConfig> = {}) => {
    clients.splice(0).forEach((c) => c.close());
    await srv.server.stop();
    earlier.push(srv);
    srv = await startServer({ db: srv.db, dataDir: join(srv.dir, 'data'), allowGuests: true, ...config });
  };
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv?.stop();
    for (const s of earlier.splice(0)) await s.stop();
  });

  it('replays the last 20 group lines at login, marked, in order, with their time and id, then marks where live chat begins', async () => {
    await start();
    const alice = await login('alice');
    await say(alice, Array.from({ length: 25 }, (_, i) => `line ${i + 1}`));
    const said = alice.all('msg');
    const bob = await login('bob');
    await bob.notice('live');
    const replayed = bob.all('msg');
    expect(replayed.map((m) => m.text)).to.deep.equal(said.slice(5).map((m) => m.text));
    expect(replayed.every((m) => m.replay === true && m.scope === 'group')).to.equal(true);
    expect(replayed.map((m) => [m.id, m.ts])).to.deep.equal(said.slice(5).map((m) => [m.id, m.ts]));
    const order = bob.received.map((m) => (m.type === 'msg' ? 'line' : m.type === 'notice' ? m.event : m.type));
    const afterLogin = order.slice(order.indexOf('login_ok') + 1);
    expect(afterLogin.slice(0, 21), 'right after login_ok, before anything live').to.deep.equal([...Array<string>(20).fill('line'), 'live']);
    alice.send({ type: 'say', text: 'now' });
    const live = await bob.next<Msg>((m) => m.type === 'msg' && m.text === 'now');
    expect(live.replay).to.equal(undefined);
  });

  it('refuses a /history of no lines or fewer with BAD_FIELD, and the next one pages as before', async () => {
    await start();
    const alice = await login('alice');
    await say(alice, ['l1', 'l2']);
    for (const count of [0, -3]) {
      alice.send({ type: 'history', count });
      expect(await alice.error()).to.deep.include({ code: 'BAD_FIELD', message: `field "count" must be at least 1 (got ${count})`, re: 'history' });
      // As any refused /history: the notice that ends a page comes all the same.
      expect((await alice.notice('history')).message).to.equal('No history this time: /history again.');
    }
    const before = alice.all('msg').length;
    await alice.request({ type: 'history', count: 1 }, (m) => m.type === 'notice' && m.event === 'history');
    expect(alice.all('msg').slice(before).map((m) => m.text)).to.deep.equal(['l2']);
  });

  it('pages back with /history until the start, and says when there is nothing older', async () => {
    await start({ historyOnJoin: 5 });
    const alice = await login('alice');
    await say(alice, Array.from({ length: 23 }, (_, i) => `l${i + 1}`));
    const bob = await login('bob');
    await bob.notice('live');
    let oldest = bob.all('msg')[0]!.id;
    const pages: string[][] = [];
    for (;;) {
      const before = bob.all('msg').length;
      const end = (await bob.request({ type: 'history', before: oldest, count: 8 }, (m) => m.type === 'notice' && m.event === 'history')) as ServerMessage<'notice'>;
      const page = bob.all('msg').slice(before);
      pages.push(page.map((m) => m.text));
      if (page.length > 0) oldest = page[0]!.id;
      if (!/more/.test(end.message)) {
        expect(end.message).to.match(/nothing older|start of the history/);
        break;
      }
    }
    expect(pages).to.deep.equal([
      ['l11', 'l12', 'l13', 'l14', 'l15', 'l16', 'l17', 'l18'],
      ['l3', 'l4', 'l5', 'l6', 'l7', 'l8', 'l9', 'l10'],
      ['l1', 'l2'],
    ]);
  });

  it('counts one line in the singular: a page of one, and one line missed after a restart', async () => {
    await start({ historyOnJoin: 1 });
    const alice = await login('alice');
    await say(alice, ['first', 'second']);
    const bob = await login('bob');
    expect((await bob.notice('live')).message).to.equal('Above: the last line said here. Live chat from here.');
    const page = (await bob.request({ type: 'history', before: bob.all('msg')[0]!.id, count: 1 }, (m) => m.type === 'notice' && m.event === 'history')) as ServerMessage<'notice'>;
    expect(page.message).to.equal('1 older line above; nothing older.');
    const lastSeen = Math.max(...bob.all('msg').map((m) => m.id));
    bob.close();
    await say(alice, ['missed']);
    await restart({ historyOnJoin: 1 });
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    await c.request({ type: 'login', user: 'bob', password: 'pw', since: lastSeen }, (m) => m.type === 'login_ok');
    expect((await c.notice('live')).message).to.equal('Above: the line you missed. Live chat from here.');
  });

  it('keeps a /msg to an offline account, acknowledges it, and delivers it once at the next login, also after a restart', async () => {
    await start();
    const carol = await login('carol');
    carol.send({ type: 'logout' });
    await carol.whenClosed();
    const alice = await login('alice');
    alice.send({ type: 'dm', to: 'Carol', text: 'while you were out' });
    expect(await alice.notice('offline_stored')).to.include({ message: 'carol is offline; your message will be delivered when carol logs in' });
    const sent = Date.now();
    await restart();
    const back = await login('carol');
    expect(await back.notice('offline_delivered')).to.include({ message: '1 message came while you were away:' });
    const kept = await back.next<Msg>((m) => m.type === 'msg');
    expect(kept).to.deep.include({ from: 'alice', to: 'carol', scope: 'private', text: 'while you were out', offline: true });
    expect(kept.ts).to.be.within(sent - 5000, sent);
    back.send({ type: 'logout' });
    await back.whenClosed();
    const again = await login('carol');
    await again.sync();
    expect(again.all('msg'), 'delivered once').to.deep.equal([]);
  });

  it('one sender may keep at most a quarter of --offline-max waiting for an account; others still can', async () => {
    await start({ offlineMax: 8 });
    await away('dave');
    const alice = await login('alice');
    for (const text of ['one', 'two']) {
      alice.send({ type: 'dm', to: 'dave', text });
      await alice.notice('offline_stored');
    }
    alice.send({ type: 'dm', to: 'dave', text: 'three' });
    expect(await alice.error()).to.deep.include({
      code: 'MAILBOX_FULL',
      message: 'you already have 2 messages waiting for dave, the most one sender may leave (2 of the 8 an account may hold); yours was not kept',
    });
    const bob = await login('bob');
    bob.send({ type: 'dm', to: 'dave', text: 'call me back' });
    expect(await bob.notice('offline_stored')).to.include({ message: 'dave is offline; your message will be delivered when dave logs in' });
    const back = await login('dave');
    expect(await back.notice('offline_delivered')).to.include({ message: '3 messages came while you were away:' });
  });

  it('one sender may keep at most --offline-max waiting in all, whoever for; one taken makes room for one more', async () => {
    await start({ offlineMax: 4 });
    const accounts = ['dave', 'erin', 'fred', 'gina', 'hugo'];
    for (const name of accounts) await away(name);
    const alice = await login('alice');
    for (const to of accounts.slice(0, 4)) {
      alice.send({ type: 'dm', to, text: `for ${to}` });
      await alice.notice('offline_stored');
    }
    alice.send({ type: 'dm', to: 'hugo', text: 'one too many' });
    expect(await alice.error()).to.deep.include({
      code: 'MAILBOX_FULL',
      re: 'dm',
      user: 'hugo',
      message: 'you already have 4 messages waiting for accounts that are offline, the most one sender may leave in all; yours for hugo was not kept (yours go out as their recipients log in)',
    });
    // Another sender is not held by alice's count.
    const bob = await login('bob');
    bob.send({ type: 'dm', to: 'hugo', text: 'from bob' });
    await bob.notice('offline_stored');
    const dave = await login('dave');
    await dave.notice('offline_delivered');
    await dave.line();
    await dave.sync();
    alice.send({ type: 'dm', to: 'hugo', text: 'now there is room' });
    expect(await alice.notice('offline_stored')).to.include({ message: 'hugo is offline; your message will be delivered when hugo logs in' });
  });

  it("a sender's messages past --offline-days stop counting toward their cap, though no one looked at those accounts (fake clock)", async () => {
    const clock = new FakeClock();
    await start({ offlineMax: 4, offlineDays: 1 }, clock);
    const accounts = ['dave', 'erin', 'fred', 'gina', 'hugo'];
    for (const name of accounts) await away(name);
    let alice = await login('alice');
    const leave = async (to: string) => {
      alice.send({ type: 'dm', to, text: `for ${to}` });
      await alice.sync(); // the write is batched: its timer is set once the server has read the message
      clock.advance(100);
      return alice.notice('offline_stored');
    };
    for (const to of accounts.slice(0, 4)) await leave(to);
    // Refused at once, before any write.
    expect(await alice.request({ type: 'dm', to: 'hugo', text: 'one too many' }, (m) => m.type === 'error')).to.include({ code: 'MAILBOX_FULL' });
    clock.advance(24 * 3600_000);
    // A day without heartbeats took alice offline too: she is back, her count is not.
    await alice.whenClosed();
    alice = await login('alice');
    expect(await leave('hugo')).to.include({ message: 'hugo is offline; your message will be delivered when hugo logs in' });
  });

  it('--history-max 3: a user who joins later is replayed only the newest 3 lines, and /history has nothing older', async () => {
    await start({ historyMax: 3 });
    const alice = await login('alice');
    await say(alice, ['l1', 'l2', 'l3', 'l4', 'l5']);
    const bob = await login('bob');
    await bob.notice('live');
    const replayed = bob.all('msg');
    expect(replayed.map((m) => m.text)).to.deep.equal(['l3', 'l4', 'l5']);
    const end = (await bob.request({ type: 'history', before: replayed[0]!.id, count: 10 }, (m) => m.type === 'notice' && m.event === 'history')) as ServerMessage<'notice'>;
    expect(end.message).to.match(/nothing older|start of the history/);
    expect(bob.all('msg'), 'no line older than the 3 kept').to.have.length(3);
  });

  it('--offline-days 1: a message that waited more than a day is dropped, a younger one is delivered (fake clock)', async () => {
    const clock = new FakeClock();
    await start({ offlineDays: 1 }, clock);
    const stored = async (from: string, text: string) => {
      const c = await login(from);
      c.send({ type: 'dm', to: 'bob', text });
      await c.sync(); // the write is batched: its timer is set once the server has read the message
      clock.advance(100);
      await c.notice('offline_stored');
      c.send({ type: 'logout' });
      await c.whenClosed();
    };
    await away('bob');
    await stored('alice', 'a day and a second ago');
    clock.advance(12 * 3600_000);
    await stored('carol', 'half a day and a second ago');
    clock.advance(12 * 3600_000 + 1000);
    const back = await login('bob');
    expect(await back.notice('offline_delivered')).to.include({ message: '1 message came while you were away:' });
    await back.sync();
    expect(back.all('msg').map((m) => [m.from, m.text, m.offline])).to.deep.equal([['carol', 'half a day and a second ago', true]]);
  });

  it('refuses past --offline-max waiting messages, and a /msg to a name that is no account stays an error', async () => {
    await start({ offlineMax: 2 });
    await away('dave');
    const alice = await login('alice');
    const bob = await login('bob');
    for (const c of [alice, bob]) {
      c.send({ type: 'dm', to: 'dave', text: 'one' });
      await c.notice('offline_stored');
    }
    const carol = await login('carol');
    carol.send({ type: 'dm', to: 'dave', text: 'three' });
    expect(await carol.error()).to.deep.include({ code: 'MAILBOX_FULL', message: 'dave already has 2 messages waiting; yours was not kept' });
    alice.send({ type: 'dm', to: 'nobody', text: 'hi' });
    expect(await alice.error()).to.include({ code: 'NO_SUCH_USER' });
    // A guest who left is no account either: nothing is kept for guests.
    const guest = await TestClient.connect(srv.port);
    clients.push(guest);
    await guest.request({ type: 'login', user: 'visitor', password: '' }, (m) => m.type === 'login_ok');
    guest.send({ type: 'logout' });
    await guest.whenClosed();
    alice.send({ type: 'dm', to: 'visitor', text: 'hi' });
    expect(await alice.error()).to.include({ code: 'NO_SUCH_USER' });
  });

  it('refuses a message it could not keep for an offline account, in words, and keeps the connection; the next is kept once it can be', async () => {
    await start();
    await away('dave');
    const file = join(srv.dir, 'data', 'offline.jsonl');
    mkdirSync(file); // in the way of the mailbox, even as root
    const alice = await login('alice');
    alice.send({ type: 'dm', to: 'Dave', text: 'one' });
    expect(await alice.error()).to.deep.include({
      code: 'MAILBOX_FAILED',
      message: 'dave is offline, and the server could not keep your message for them; it was not delivered: try again later',
    });
    expect(srv.logs).to.include('ERROR Offline messages: one from alice for dave not kept: could not write offline.jsonl: it is a folder');
    expect(srv.logs.filter((l) => l.includes('EISDIR'))).to.deep.equal([]);
    rmdirSync(file);
    alice.send({ type: 'dm', to: 'dave', text: 'two' });
    await alice.notice('offline_stored');
    const dave = await login('dave');
    expect((await dave.line()).text).to.equal('two');
  });

  it('after a restart, replays exactly the lines a client missed when its login says the last id it saw', async () => {
    await start({ historyOnJoin: 2 });
    const alice = await login('alice');
    const bob = await login('bob');
    await say(alice, ['before 1', 'before 2']);
    await bob.sync();
    const lastSeen = bob.all('msg').at(-1)!.id;
    bob.close();
    await say(alice, ['missed 1', 'missed 2', 'missed 3']);
    await restart({ historyOnJoin: 2 });
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    await c.request({ type: 'login', user: 'bob', password: 'pw', since: lastSeen }, (m) => m.type === 'login_ok');
    expect((await c.notice('live')).message).to.equal('Above: the 3 lines you missed. Live chat from here.');
    expect(c.all('msg').map((m) => m.text)).to.deep.equal(['missed 1', 'missed 2', 'missed 3']);
    // New lines go on from the ids kept before the restart.
    const alice2 = await login('alice');
    alice2.send({ type: 'say', text: 'after' });
    expect((await c.next<Msg>((m) => m.type === 'msg' && m.text === 'after')).id).to.be.greaterThan(c.all('msg')[2]!.id);
  });

  it('never keeps private-session lines or one-shot messages to someone online in the history files', async () => {
    await start();
    const alice = await login('alice');
    const bob = await login('bob');
    alice.send({ type: 'pm_request', to: 'bob' });
    await bob.notice('pm_invite');
    bob.send({ type: 'pm_answer', accept: true });
    await alice.notice('pm_started');
    alice.send({ type: 'say', text: 'secret session line' });
    await bob.line();
    alice.send({ type: 'dm', to: 'bob', text: 'secret dm' });
    await bob.line();
    alice.send({ type: 'say', group: true, text: 'public line' });
    await bob.line();
    await srv.server.stop();
    const dir = join(srv.dir, 'data');
    const text = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    expect(text).to.include('public line');
    expect(text).to.not.include('secret');
  });

  it('with --history-days 0: no replay, /history says so, and no history file', async () => {
    await start({ historyDays: 0 });
    const alice = await login('alice');
    await say(alice, ['one', 'two']);
    const bob = await login('bob');
    const end = (await bob.request({ type: 'history' }, (m) => m.type === 'notice' && m.event === 'history')) as ServerMessage<'notice'>;
    expect(end.message).to.equal('This server keeps no history.');
    expect(bob.all('msg')).to.deep.equal([]);
    const dir = join(srv.dir, 'data');
    expect(existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('history-')) : []).to.deep.equal([]);
  });
});
