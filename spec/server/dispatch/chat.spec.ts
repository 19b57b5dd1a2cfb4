/**
 * Group chat over real TCP: fan-out with the server's timestamp, join and leave notices with the
 * online list (seed 000), /who, one-shot private messages (/msg, seeds 000 and 003), text rules.
 */
import { expect } from 'chai';
import { encodeMessage } from '../../../common/codec.js';
import type { ClientMessage, ServerMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';
import { longName } from '../../support/long-names.js';

type Client = Awaited<ReturnType<typeof TestClient.login>>;

describe('chat: group messages', () => {
  let clock: FakeClock;
  let srv: Running;
  const login = (name: string) => srv.login(name);

  beforeEach(async () => {
    clock = new FakeClock();
    // Thirty users register at once from one address: more than its default 20 an hour.
    srv = await startServer({ maxRegistrations: 100, logLevels: { default: 'info', dispatch: 'debug' } }, clock);
  });
  afterEach(async () => {
    await srv.stop();
  });

  it('delivers every line to all 30 users, the sender included, with the sender name and server time', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `user${String(i).padStart(2, '0')}`);
    const all = await Promise.all(names.map(login));
    clock.advance(1234); // the timestamp is the server's clock, not the sender's
    all.forEach((c, i) => c.send({ type: 'say', text: `hello from ${names[i]} 👋` }));
    await Promise.all(
      all.map(async (c) => {
        const lines: ServerMessage<'msg'>[] = [];
        while (lines.length < 30) lines.push(await c.line());
        expect(lines.map((l) => l.from).sort()).to.deep.equal(names);
        for (const l of lines) {
          expect(l).to.deep.include({ scope: 'group', ts: clock.now(), text: `hello from ${l.from} 👋` });
          expect(l).to.not.have.property('to');
        }
      }),
    );
    expect(srv.server.counters.messages).to.equal(30);
  });

  it('keeps each sender’s lines in order for every reader', async () => {
    const [a, b] = [await login('alice'), await login('bob')];
    for (let i = 0; i < 8; i++) a.send({ type: 'say', text: `line ${i}` });
    const got: string[] = [];
    while (got.length < 8) got.push((await b.line()).text);
    expect(got).to.deep.equal(Array.from({ length: 8 }, (_, i) => `line ${i}`));
  });

  it('keeps newlines and emoji in a line intact', async () => {
    const [a, b] = [await login('alice'), await login('bob')];
    a.send({ type: 'say', text: 'first line\nsecond line 🎉\ttab' });
    expect((await b.line()).text).to.equal('first line\nsecond line 🎉\ttab');
  });

  it('announces joins and leaves to everyone else, with the online list', async () => {
    const alice = await login('alice');
    expect(alice.me.online).to.deep.equal(['alice']);
    const bob = await login('bob');
    expect(bob.me.online).to.deep.equal(['alice', 'bob']);
    const join = await alice.notice('join');
    expect(join).to.deep.include({ message: 'bob joined the chat', user: 'bob', online: ['alice', 'bob'], ts: clock.now() });
    const carol = await login('Carol');
    expect((await alice.notice('join')).online).to.deep.equal(['alice', 'bob', 'Carol']);
    expect((await bob.notice('join')).user).to.equal('Carol');

    bob.send({ type: 'logout' });
    expect(await bob.next((m) => m.type === 'bye')).to.deep.include({ message: 'Goodbye, bob!' });
    await bob.whenClosed();
    for (const c of [alice, carol]) {
      expect(await c.notice('leave')).to.deep.include({ message: 'bob left the chat', user: 'bob', online: ['alice', 'Carol'] });
    }
    // Nobody is told of their own join.
    await carol.sync();
    expect(carol.all('notice').filter((n) => n.event === 'join')).to.deep.equal([]);
    expect(srv.logs).to.include('INFO bob logged out');
  });

  it('answers /who with everyone online, sorted without regard to case', async () => {
    const c = await login('carol');
    await login('Bob');
    await login('alice');
    const who = await c.who();
    expect(who).to.deep.include({ online: ['alice', 'Bob', 'carol'] });
  });

  it('refuses control characters and empty text, and nobody receives it', async () => {
    const [a, b] = [await login('alice'), await login('bob')];
    a.send({ type: 'say', text: 'clear\u001b[2J screen' });
    expect(await a.error()).to.deep.include({
      code: 'BAD_TEXT',
      message: 'message text contains control characters (only newline and tab are allowed)',
    });
    a.send({ type: 'say', text: '   ' });
    expect(await a.error()).to.deep.include({ code: 'BAD_TEXT', message: 'message text is empty' });
    a.send({ type: 'dm', to: 'bob', text: 'bell\u0007' });
    expect((await a.error()).code).to.equal('BAD_TEXT');
    await b.sync();
    expect(b.all('msg')).to.deep.equal([]);
    // The sender can go on chatting.
    a.send({ type: 'say', text: 'fine now' });
    expect((await b.line()).text).to.equal('fine now');
  });

  it('counts /history against the flood limit like a line: muted, a request gets no page but the notice that ends one', async () => {
    const a = await login('alice');
    a.send({ type: 'say', text: 'the only line' });
    for (let i = 0; i < 7; i++) a.send({ type: 'history', count: 1 });
    await a.sync();
    expect(a.all('notice').filter((n) => n.event === 'history')).to.have.length(7);
    a.send({ type: 'history', count: 1 });
    expect((await a.notice('muted')).message).to.equal('You are sending too fast: muted for 10 s');
    // The native client sends its next /history only once the page before it has ended.
    expect((await a.notice('history')).message).to.equal('No history while you are muted: /history again once you can talk.');
    a.send({ type: 'history', count: 1 });
    expect(await a.error()).to.deep.include({ code: 'MUTED' });
    expect((await a.notice('history')).message).to.match(/^No history while you are muted/);
    clock.advance(10_000);
    await a.notice('unmuted');
    a.send({ type: 'history', count: 1 });
    expect((await a.notice('history')).message).to.not.match(/muted/);
    expect(a.all('msg').filter((m) => m.replay)).to.have.length(8);
    // The debug log says how each went: the two refused as refused, not as pages done.
    const handled = srv.logs.filter((l) => l.startsWith('DEBUG Handled history')).map((l) => l.replace(/^.*: /, ''));
    expect(handled).to.deep.equal([...Array(7).fill('done'), 'refused (MUTED)', 'refused (MUTED)', 'done']);
  });

  it('logs group messages quoted, so a newline cannot forge a log line', async () => {
    const a = await login('alice');
    a.send({ type: 'say', text: 'hi\nINFO User mallory logged in' });
    await a.line();
    expect(srv.logs).to.include('INFO Group message from alice: "hi\\nINFO User mallory logged in"');
  });
});

describe('chat: /who with names of 128 bytes (real TCP)', () => {
  let srv: Running;
  const crowd: TestClient[] = [];
  afterEach(async () => {
    crowd.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  it('answers with the first names that fit a frame and the count of all, where 1,000 names could not fit', async () => {
    srv = await startServer({ allowGuests: true, maxPerAddress: 1000 }, new FakeClock());
    // 505 guests, 50 logins at a time: their names alone are 65 KiB of JSON, more than a frame's header.
    for (let i = 0; i < 505; i += 50) {
      const batch = Array.from({ length: Math.min(50, 505 - i) }, (_, k) => TestClient.login(srv.port, longName(i + k), ''));
      crowd.push(...(await Promise.all(batch)));
    }
    const asker = await srv.login('asker');
    const who = await asker.who();
    expect(who.count).to.equal(506);
    expect(who.online.length).to.be.within(300, 505);
    // Sorted: the ASCII name first, then the long ones in their order.
    expect(who.online).to.deep.equal(['asker', ...Array.from({ length: who.online.length - 1 }, (_, i) => longName(i))]);
    // The asker stays, and can ask again.
    expect((await asker.who()).online).to.deep.equal(who.online);
    expect(asker.closed).to.equal(false);
    expect(srv.logs.filter((l) => /Error handling/.test(l))).to.deep.equal([]);
  });
});

describe('chat: one-shot private messages (/msg)', () => {
  let srv: Running;
  let alice: Client;
  let bob: Client;
  let carol: Client;

  beforeEach(async () => {
    srv = await startServer();
    alice = await srv.login('alice');
    bob = await srv.login('bob');
    carol = await srv.login('carol');
  });
  afterEach(async () => srv.stop());

  it('reaches only the target, marked private, and the sender sees a copy', async () => {
    alice.send({ type: 'dm', to: 'bob', text: 'just for you' });
    const got = await bob.line();
    expect(got).to.deep.include({ from: 'alice', to: 'bob', scope: 'private', text: 'just for you' });
    expect(await alice.line()).to.deep.include({ from: 'alice', to: 'bob', scope: 'private' });
    await carol.sync();
    expect(carol.all('msg')).to.deep.equal([]);
    expect(srv.logs).to.include('INFO Private message from alice to bob (12 chars)');
    // The text of a private message is not logged.
    expect(srv.logs.join('\n')).to.not.include('just for you');
  });

  it('finds the target without regard to case and shows the real spelling', async () => {
    alice.send({ type: 'dm', to: 'BOB', text: 'hey' });
    expect(await bob.line()).to.deep.include({ to: 'bob', text: 'hey' });
  });

  it('refuses a name that is no account, keeps a message for an account that is offline, and nobody else gets the text', async () => {
    alice.send({ type: 'dm', to: 'Nobody', text: 'hello?' });
    expect(await alice.error()).to.deep.include({ code: 'NO_SUCH_USER', message: 'there is no account named Nobody', user: 'Nobody' });
    carol.send({ type: 'logout' });
    await carol.whenClosed();
    alice.send({ type: 'dm', to: 'carol', text: 'are you there?' });
    expect(await alice.notice('offline_stored')).to.deep.include({
      user: 'carol',
      message: 'carol is offline; your message will be delivered when carol logs in',
    });
    await bob.sync();
    expect(bob.all('msg')).to.deep.equal([]);
  });

  it('mixed with group lines in one batch, goes only to its target, and everyone gets their lines in order', async () => {
    // One TCP write: the server handles all three in one turn, so every reader's batch is built
    // in the same turn, bystanders' alike and the target's different.
    const said: ClientMessage[] = [
      { type: 'say', text: 'one' },
      { type: 'dm', to: 'bob', text: 'psst' },
      { type: 'say', text: 'two' },
    ];
    const frames = said.map((m) => encodeMessage(m));
    alice.raw(Buffer.concat(frames));
    const texts = async (c: Client, n: number) => {
      const got: string[] = [];
      while (got.length < n) got.push((await c.line()).text);
      return got;
    };
    expect(await texts(carol, 2)).to.deep.equal(['one', 'two']);
    expect(await texts(bob, 3)).to.deep.equal(['one', 'psst', 'two']);
    expect(await texts(alice, 3)).to.deep.equal(['one', 'psst', 'two']);
    await carol.sync();
    expect(carol.all('msg').map((m) => m.text)).to.deep.equal(['one', 'two']);
  });

  it('names the type of every message it refuses (re), and the recipient of a private message or request, a MUTED too; a group line\'s names nobody', async () => {
    // The client matches a refusal that names nobody to a group line (protocol 2).
    const limited = await startServer({ rateCount: 3 });
    try {
      const ann = await limited.login('ann');
      ann.send({ type: 'pm_request', to: 'Ann' });
      expect(await ann.error()).to.deep.include({ code: 'PM_SELF', re: 'pm_request', user: 'Ann' });
      ann.send({ type: 'say', text: 'one' });
      ann.send({ type: 'say', text: 'two' });
      ann.send({ type: 'dm', to: 'Bob', text: 'over the limit' });
      expect(await ann.error()).to.deep.include({ code: 'MUTED', re: 'dm', user: 'Bob' });
      ann.send({ type: 'pm_request', to: 'carol' });
      expect(await ann.error()).to.deep.include({ code: 'MUTED', re: 'pm_request', user: 'carol' });
      ann.send({ type: 'say', text: 'three' });
      const refused = await ann.error();
      expect(refused).to.deep.include({ code: 'MUTED', re: 'say' });
      expect(refused).to.not.have.property('user');
    } finally {
      await limited.stop();
    }
  });

  it('refuses a message to a name that is no account before it answers the next line of the same write', async () => {
    // The client matches a refusal to its oldest line waiting: it must come in the lines' order.
    const said: ClientMessage[] = [
      { type: 'dm', to: 'nobody', text: 'psst' },
      { type: 'say', text: 'hi' },
    ];
    alice.raw(Buffer.concat(said.map((m) => encodeMessage(m))));
    await alice.line();
    await alice.sync();
    const answers = alice.received.filter((m) => m.type === 'error' || m.type === 'msg').map((m) => (m.type === 'error' ? m.code : m.text));
    expect(answers).to.deep.equal(['NO_SUCH_USER', 'hi']);
  });

  it('a message to yourself arrives once', async () => {
    alice.send({ type: 'dm', to: 'alice', text: 'note to self' });
    expect((await alice.line()).text).to.equal('note to self');
    await alice.sync();
    expect(alice.all('msg')).to.have.length(1);
  });
});

describe('chat: actions (/me) and away (/away, /back)', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => srv.stop());

  it('carries an action line to everyone as an action, and keeps it so in history', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    alice.send({ type: 'say', action: true, text: 'waves' });
    expect(await bob.line()).to.include({ from: 'alice', text: 'waves', action: true, scope: 'group' });
    const carol = await srv.login('carol');
    expect(await carol.line()).to.include({ text: 'waves', action: true, replay: true });
  });

  it('tells who writes to an away user the away message once, shows the away in /who, and ends it with /back', async () => {
    const alice = await srv.login('alice');
    const bob = await srv.login('bob');
    bob.send({ type: 'away', message: 'gone fishing' });
    expect((await bob.notice('away')).message).to.equal('You are marked as away: "gone fishing". Type /back when you are back.');
    expect(await alice.who()).to.deep.include({ away: ['bob'], awayMessages: ['gone fishing'] });
    alice.send({ type: 'dm', to: 'bob', text: 'there?' });
    expect(await alice.notice('away')).to.include({ user: 'bob', message: 'bob is away: gone fishing' });
    expect(await bob.line()).to.include({ text: 'there?' }); // delivered all the same
    alice.send({ type: 'dm', to: 'bob', text: 'hello?' });
    await bob.line();
    await alice.sync();
    expect(alice.all('notice').filter((n) => n.event === 'away'), 'told once').to.have.length(1);
    bob.send({ type: 'back' });
    expect((await bob.notice('back')).message).to.equal('Welcome back: you are no longer marked as away');
    expect(await alice.who()).to.not.have.any.keys('away', 'awayMessages');
    bob.send({ type: 'back' });
    expect(await bob.error()).to.include({ code: 'NOT_AWAY' });
    bob.send({ type: 'away', message: 'bell\u0007' });
    expect(await bob.error()).to.include({ code: 'BAD_TEXT' });
  });
});
