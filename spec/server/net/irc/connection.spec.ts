/**
 * The IRC listener against the real server over real TCP (127.0.0.1, port 0): a raw IRC client
 * (./client.ts) and native TestClients in the same room. Registration with PASS and SASL, the
 * same accounts and refusals as native logins, group and private lines both ways, the private
 * session story with consent, presence by PING, and hostile input: injection, over-long lines,
 * bad UTF-8, pipelining, split writes, the same limits as native connections.
 */
import { expect } from 'chai';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { consoleCommand } from '../../../../server/console.js';
import { MAX_STRIKES } from '../../../../server/net/connection.js';
import { IRC_LINES_MAX } from '../../../../server/net/irc/render.js';
import type { ServerConfig } from '../../../../server/config.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../../support/harness.js';
import { waitUntil } from '../../../support/wait.js';
import { FIXTURES, TEST_CERT, TEST_KEY } from '../../../hostile/support.js';
import { IrcClient, parse, type Line } from './client.js';

let srv: Running;
let ircs: IrcClient[] = [];

async function start(config: Partial<ServerConfig> = {}, clock?: FakeClock): Promise<void> {
  srv = await startServer({ ircPort: 0, ...config }, clock);
  ircs = [];
}
async function stop(): Promise<void> {
  ircs.splice(0).forEach((c) => c.close());
  await srv.stop();
}
const port = () => srv.server.ircPorts.plain!;
async function connect(): Promise<IrcClient> {
  const c = await IrcClient.connect(port());
  ircs.push(c);
  return c;
}
async function register(nick: string, password = 'pw'): Promise<IrcClient> {
  const c = await IrcClient.register(port(), nick, password);
  ircs.push(c);
  return c;
}
/** A native account that exists but is offline. */
async function account(name: string, password = 'pw'): Promise<void> {
  const c = await srv.login(name, password);
  c.send({ type: 'logout' });
  await c.whenClosed();
}
const privmsg = (from: string, to: string, text: string) => (l: Line) => l.command === 'PRIVMSG' && l.nick === from && l.params[0] === to && l.params[1] === text;
const serviceNotice = (text: RegExp) => (l: Line) => l.command === 'NOTICE' && l.nick === 'tinychat' && text.test(l.params[1] ?? '');
const sasl = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64');

describe('IRC listener: registration (real TCP)', () => {
  beforeEach(() => start());
  afterEach(() => stop());

  it('registers a new account with PASS, NICK and USER: 001-005, the MOTD, the JOIN and the names; the account is a native one', async () => {
    const bob = await srv.login('bob');
    const alice = await connect();
    alice.send('PASS secret', 'NICK alice', 'USER alice 0 * :Alice');
    expect((await alice.expect('001')).params[0]).to.equal('alice');
    const isupport = (await alice.expect('005')).params;
    for (const token of ['CASEMAPPING=ascii', 'NICKLEN=32', 'CHANTYPES=#', 'NETWORK=tinychat']) expect(isupport).to.include(token);
    await alice.next((l) => l.command === '376' || l.command === '422');
    expect(await alice.expect('JOIN')).to.deep.include({ nick: 'alice', params: ['#tinychat'] });
    expect((await alice.expect('353')).params.at(-1)!.split(' ').sort()).to.deep.equal(['alice', 'bob']);
    await alice.expect('366');
    expect(await bob.notice('join')).to.include({ user: 'alice' });
    expect(srv.logs.some((l) => /Accepted connection from IRC 127\.0\.0\.1:\d+/.test(l))).to.equal(true);
    expect(srv.logs.some((l) => /User alice logged in from IRC 127\.0\.0\.1:\d+/.test(l))).to.equal(true);
    alice.send('QUIT :bye');
    expect((await alice.expect('ERROR')).params[0]).to.equal('Goodbye, alice!');
    await alice.whenClosed();
    expect(await bob.notice('leave')).to.include({ user: 'alice' });
    // The same account from the native client, with the password given over IRC.
    const native = await srv.login('alice', 'secret');
    expect(native.me).to.include({ user: 'alice', created: false });
  });

  it('logs in with SASL PLAIN, answering 900 and 903 at once and welcoming only after CAP END', async () => {
    await account('alice', 'secret');
    const c = await connect();
    c.send('CAP LS 302', 'NICK alice', 'USER alice 0 * :Alice');
    expect((await c.expect('CAP')).params.at(-1)).to.include('sasl=PLAIN');
    c.send('CAP REQ :sasl');
    expect((await c.expect('CAP')).params.slice(1)).to.deep.equal(['ACK', 'sasl']);
    c.send('AUTHENTICATE PLAIN');
    expect((await c.expect('AUTHENTICATE')).params).to.deep.equal(['+']);
    c.send(`AUTHENTICATE ${sasl('alice', 'wrong')}`);
    expect((await c.expect('904')).params.at(-1)).to.equal('SASL authentication failed: wrong password');
    c.send('AUTHENTICATE PLAIN', `AUTHENTICATE ${sasl('alice', 'secret')}`);
    await c.expect('900');
    await c.expect('903');
    await c.sync();
    expect(c.all('001'), 'no welcome before CAP END').to.deep.equal([]);
    c.send('CAP END');
    expect((await c.expect('001')).params[0]).to.equal('alice');
    await c.expect('366');
    // irssi's order: SASL first, NICK and USER after CAP END.
    await account('bob', 'pw2');
    const d = await connect();
    d.send('CAP LS 302', 'CAP REQ :sasl', 'AUTHENTICATE PLAIN');
    await d.expect('AUTHENTICATE');
    d.send(`AUTHENTICATE ${sasl('bob', 'pw2')}`);
    await d.expect('903');
    d.send('CAP END', 'NICK bob', 'USER root root 127.0.0.1 :root');
    expect((await d.expect('001')).params[0]).to.equal('bob');
    await d.sync();
    expect(d.lines.filter((l) => /^4\d\d$/.test(l.command)), 'no complaint about NICK and USER').to.deep.equal([]);
  });

  it('takes the PASS irssi sends after CAP END when SASL has logged in already without a 462, as it takes USER; a PASS after that is 462', async () => {
    const c = await connect();
    c.send('CAP LS 302', 'CAP REQ :sasl', 'AUTHENTICATE PLAIN');
    await c.next((l) => l.command === 'AUTHENTICATE');
    c.send(`AUTHENTICATE ${sasl('alice', 'pw')}`);
    await c.expect('903');
    // irssi with SASL and a server password both set: PASS, NICK, USER after CAP END.
    c.send('CAP END', 'PASS pw', 'NICK alice', 'USER root root 127.0.0.1 :root');
    await c.expect('366');
    await c.sync();
    expect(c.all('462')).to.deep.equal([]);
    c.send('PASS pw');
    await c.expect('462');
  });

  it('holds kept offline messages during CAP negotiation after a SASL login, and sends them all after CAP END, past what may be held', async () => {
    // 40 messages of 1,000 characters: more than --max-output, which is all the output one
    // connection may hold waiting for CAP END; the delivery's batches must wait rather than pile up.
    await srv.stop();
    await start({ maxOutput: 16 * 1024, offlineMax: 200, rateCount: 1000 });
    await account('alice', 'secret');
    const bob = await srv.login('bob');
    const texts = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(3, '0')} ${'x'.repeat(996)}`);
    for (const text of texts) {
      bob.send({ type: 'dm', to: 'alice', text });
      await bob.notice('offline_stored');
    }
    const c = await connect();
    c.send('CAP LS 302', 'NICK alice', 'USER alice 0 * :Alice', 'CAP REQ :sasl', 'AUTHENTICATE PLAIN');
    await c.expect('AUTHENTICATE');
    c.send(`AUTHENTICATE ${sasl('alice', 'secret')}`);
    await c.expect('903');
    await c.sync();
    expect(c.all('PRIVMSG'), 'nothing before CAP END').to.deep.equal([]);
    expect(c.all('001')).to.deep.equal([]);
    c.send('CAP END');
    await c.expect('001');
    await c.next((l) => l.command === 'PRIVMSG' && (l.params[1] ?? '').includes('039 '));
    await c.sync(); // the rest of the last message
    const got = c.all('PRIVMSG').filter((l) => l.nick === 'bob');
    // Each message is its first line, marked with when it was sent (the rest of its text follows).
    const firsts = got.flatMap((l) => /^\[[^\]]+ UTC\] (\d{3}) x+$/.exec(l.params[1]!)?.[1] ?? []);
    expect(firsts).to.deep.equal(texts.map((t) => t.slice(0, 3)));
    expect(got.map((l) => l.params[1]!.replace(/^\[[^\]]+ UTC\] /, '')).join('')).to.equal(texts.join(''));
    expect(c.closed).to.equal(false);
    // All handed over and taken: nothing waits for the next login.
    c.send('QUIT');
    await c.whenClosed();
    const again = await srv.login('alice', 'secret');
    await again.sync();
    expect(again.all('msg').filter((m) => m.offline)).to.deep.equal([]);
  });

  it('takes the PONG to the PING after a batch of offline messages as its receipt: cut before it, the batch comes again', async () => {
    await account('alice');
    const bob = await srv.login('bob');
    for (const text of ['one', 'two']) {
      bob.send({ type: 'dm', to: 'alice', text });
      await bob.notice('offline_stored');
    }
    const first = await connect();
    first.autoPong = false;
    first.send('PASS pw', 'NICK alice', 'USER alice 0 * :Alice');
    const ping = await first.next((l) => l.command === 'PING' && /^receipt-\d+$/.test(l.params[0] ?? ''));
    const kept = (c: IrcClient) => c.all('PRIVMSG').filter((l) => l.nick === 'bob').map((l) => l.params[1]!.replace(/^\[[^\]]+ UTC\] /, ''));
    expect(kept(first), 'the PING after the batch').to.deep.equal(['one', 'two']);
    first.close();
    await waitUntil(() => srv.server.room.find('alice')?.at === null, 'the server saw the connection go');
    const second = await register('alice');
    await second.next((l) => l.command === 'PING' && l.params[0] === ping.params[0]);
    expect(kept(second), 'not confirmed: sent again').to.deep.equal(['one', 'two']);
    // The client's own PONG: the receipt.
    await waitUntil(() => srv.logs.includes('INFO Offline messages: 2 delivered to alice'), 'the receipt applied');
    second.send('QUIT');
    await second.whenClosed();
    const native = await srv.login('alice');
    await native.sync();
    expect(native.all('msg').filter((m) => m.offline), 'confirmed: deleted').to.deep.equal([]);
  });

  it('refuses a wrong password with 464 and closes, counting it like a native failed login', async () => {
    await srv.stop();
    await start({ maxFailures: 2 });
    await account('alice', 'secret');
    for (let i = 0; i < 2; i++) {
      const c = await connect();
      c.send('PASS guess', 'NICK alice', 'USER alice 0 * :A');
      expect((await c.expect('464')).params.at(-1)).to.equal('Password incorrect');
      expect((await c.expect('ERROR')).params[0]).to.equal('Closing link: wrong password');
      await c.whenClosed();
    }
    expect(srv.logs.filter((l) => /Failed login for alice from IRC 127\.0\.0\.1/.test(l))).to.have.length(2);
    // The throttle holds for the native client too, even with the right password.
    const native = await TestClient.connect(srv.port);
    const reply = await native.request({ type: 'login', user: 'alice', password: 'secret' }, (m) => m.type === 'error' || m.type === 'login_ok');
    native.close();
    expect(reply).to.include({ type: 'error', code: 'LOGIN_THROTTLED' });
  });

  it('refuses a nick already online with 433; the automatic next nick (alice_) does not register with its password', async () => {
    await srv.login('alice');
    const c = await connect();
    c.send('PASS pw', 'NICK Alice', 'USER a 0 * :A');
    const refused = await c.expect('433');
    expect(refused.params.slice(0, 2)).to.deep.equal(['Alice', 'Alice']);
    expect(refused.params[2]).to.equal('Nickname is already in use: alice is already logged in (your password was for Alice only)');
    // What irssi and WeeChat send next by themselves: without a password, a guest (here: refused).
    // irssi shows no 433 while registering: the 464 must say why a password was not enough.
    c.send('NICK alice_');
    expect((await c.expect('464')).params.at(-1)).to.equal('Alice is online already and your password was for Alice only: alice_ would be a guest, and guest logins are disabled on this server');
    await c.whenClosed();
    expect(srv.logs.filter((l) => l.includes('alice_ successfully registered'))).to.deep.equal([]);
    // Asked for on purpose, another nick logs in with a password given for it.
    const d = await connect();
    d.send('PASS pw', 'NICK alice', 'USER a 0 * :A');
    await d.expect('433');
    d.send('PASS pw2', 'NICK alice2');
    expect((await d.expect('001')).params[0]).to.equal('alice2');
  });

  it("answers a guest asking for an account's nick with 433 (in use), not 432 (invalid), and lets it pick another", async () => {
    await srv.stop();
    await start({ allowGuests: true });
    await account('alice');
    const c = await connect();
    c.send('NICK alice', 'USER a 0 * :A');
    const refused = await c.expect('433');
    expect(refused.params.slice(1)).to.deep.equal(['alice', 'Nickname is already in use: alice is a registered account; give its password, or pick another name']);
    expect(c.all('432')).to.deep.equal([]);
    c.send('NICK alice_');
    expect((await c.expect('001')).params[0]).to.equal('alice_');
  });

  it('refuses a login without a password, saying so, unless guests are allowed', async () => {
    const c = await connect();
    c.send('NICK carol', 'USER carol 0 * :C');
    expect((await c.expect('464')).params.at(-1)).to.match(/^Guest logins are disabled on this server: give your password/);
    await c.whenClosed();
    await srv.stop();
    await start({ allowGuests: true });
    const guest = await register('carol', '');
    expect(guest.all('001')[0]!.params[0]).to.equal('carol');
    expect(srv.logs.some((l) => /Guest carol logged in from IRC/.test(l))).to.equal(true);
  });

  it('holds nicks to the product name rules (432 at once), any one script included', async () => {
    const c = await connect();
    c.send('NICK pаypal', 'NICK tinychat', 'NICK a.b.c-d_é', 'PASS pw', 'USER x 0 * :x');
    const bad = [await c.expect('432'), await c.expect('432')];
    expect(bad.map((l) => l.params[1])).to.deep.equal(['pаypal', 'tinychat']);
    expect(bad[0]!.params[2]).to.match(/mixes Latin and Cyrillic/);
    expect((await c.expect('001')).params[0]).to.equal('a.b.c-d_é');
    const anna = await register('Анна');
    expect(anna.all('001')[0]!.params[0]).to.equal('Анна');
  });

  it(`answers commands before registration with 451 and closes after ${MAX_STRIKES} lines that are not registration`, async () => {
    const c = await connect();
    c.send(...Array.from({ length: MAX_STRIKES - 1 }, () => 'JOIN #tinychat'));
    for (let i = 0; i < MAX_STRIKES - 1; i++) await c.expect('451');
    c.send('PING :still-here');
    await c.expect('PONG');
    c.send('FROB');
    await c.expect('421');
    expect((await c.expect('ERROR')).params[0]).to.match(/before login that were not a login/);
    await c.whenClosed();
  });

  it('serves IRC over TLS on --irc-tls-port with the certificate of the native listener', async () => {
    await srv.stop();
    await start({ tlsCert: TEST_CERT, tlsKey: TEST_KEY, ircTlsPort: 0 });
    expect(FIXTURES).to.be.a('string');
    const socket = tls.connect({ port: srv.server.ircPorts.tls!, host: '127.0.0.1', ca: readFileSync(TEST_CERT), servername: 'localhost' });
    await new Promise((r) => socket.once('secureConnect', r));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString()));
    socket.write('PASS pw\r\nNICK tlsuser\r\nUSER t 0 * :t\r\n');
    await waitUntil(() => got.includes(' 366 '), 'the welcome over TLS');
    socket.destroy();
    expect(got.split('\r\n').map((l) => parse(l).command)).to.include.members(['001', 'JOIN', '366']);
  });
});

describe('IRC listener: talking with native users (real TCP)', () => {
  beforeEach(() => start());
  afterEach(() => stop());

  it('carries group lines both ways, without echoing an IRC line to its sender', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('PRIVMSG #tinychat :hello bob');
    expect(await bob.line()).to.deep.include({ from: 'alice', scope: 'group', text: 'hello bob' });
    bob.send({ type: 'say', text: 'hi alice' });
    await alice.next(privmsg('bob', '#tinychat', 'hi alice'));
    await alice.sync();
    expect(alice.all('PRIVMSG').filter((l) => l.nick === 'alice'), 'no echo').to.deep.equal([]);
    expect(srv.logs.filter((l) => l.includes('Group message from alice: "hello bob"'))).to.have.length(1);
  });

  it('carries /me both ways: CTCP ACTION from IRC is an action line, an action reaches IRC as CTCP ACTION, live, from the history and kept offline', async () => {
    await account('dave');
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('PRIVMSG #tinychat :\u0001ACTION waves\u0001', 'PRIVMSG bob :\u0001ACTION winks');
    expect(await bob.line()).to.deep.include({ from: 'alice', scope: 'group', text: 'waves', action: true });
    expect(await bob.line(), 'no closing \\x01').to.deep.include({ from: 'alice', scope: 'private', to: 'bob', text: 'winks', action: true });
    bob.send({ type: 'say', action: true, text: 'dances' });
    await alice.next(privmsg('bob', '#tinychat', '\u0001ACTION dances\u0001'));
    bob.send({ type: 'dm', to: 'alice', action: true, text: 'bows' });
    await alice.next(privmsg('bob', 'alice', '\u0001ACTION bows\u0001'));
    bob.send({ type: 'dm', to: 'dave', action: true, text: 'knocks' });
    await bob.notice('offline_stored');
    // Said before: replayed to carol at login, kept for dave until his.
    const carol = await register('carol');
    await carol.next((l) => l.command === 'PRIVMSG' && l.nick === 'bob' && /^\u0001ACTION \[\d{4}-\d\d-\d\d \d\d:\d\d UTC\] dances\u0001$/.test(l.params[1] ?? ''));
    const dave = await register('dave');
    await dave.next((l) => l.command === 'PRIVMSG' && l.nick === 'bob' && /^\u0001ACTION \[[^\]]+\] knocks\u0001$/.test(l.params[1] ?? ''));
  });

  it('drops CTCP queries to a nick or the channel (no chat line, no error) and answers VERSION and PING to the service', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('PRIVMSG bob :\u0001VERSION\u0001', 'PRIVMSG #tinychat :\u0001PING 42\u0001', 'PRIVMSG tinychat :\u0001VERSION\u0001', 'PRIVMSG tinychat :\u0001PING 42\u0001', 'PRIVMSG bob :after');
    expect((await alice.next((l) => l.command === 'NOTICE' && l.nick === 'tinychat' && l.params[1]!.startsWith('\u0001VERSION '))).params[1]).to.match(/^\u0001VERSION tinychat \(protocol \d+\)\u0001$/);
    await alice.next((l) => l.command === 'NOTICE' && l.nick === 'tinychat' && l.params[1] === '\u0001PING 42\u0001');
    expect(await bob.line(), 'the CTCPs were no lines').to.deep.include({ from: 'alice', text: 'after' });
    await alice.sync();
    expect(alice.lines.filter(serviceNotice(/control characters/)), 'nor refusals').to.deep.equal([]);
  });

  it('pages back through the history with /msg tinychat history [N], from the oldest line shown at login', async () => {
    await stop();
    await start({ rateCount: 100 }); // bob says 30 lines at once
    const bob = await srv.login('bob');
    for (let i = 1; i <= 30; i++) {
      bob.send({ type: 'say', text: `line ${i}` });
      await bob.line();
    }
    const alice = await register('alice');
    const shown = () => alice.all('PRIVMSG').filter((l) => l.nick === 'bob').map((l) => l.params[1]!.replace(/^\[[^\]]+\] /, ''));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`);
    await alice.expect('NOTICE', /^Above: the last 20 lines said here/);
    expect(shown()).to.deep.equal(range(11, 30));
    // A count it does not take is answered with how to write it; nothing is paged.
    alice.send('PRIVMSG tinychat :history 1000');
    await alice.expect('NOTICE', /^Not understood: "history 1000"\. Use HISTORY \[N\], N lines from 1 to 200\.$/);
    alice.send('PRIVMSG tinychat :history 5');
    await alice.expect('NOTICE', /^5 older lines above; \/msg tinychat history for more\.$/);
    expect(shown()).to.deep.equal([...range(11, 30), ...range(6, 10)]);
    alice.send('PRIVMSG tinychat :history');
    await alice.expect('NOTICE', /^5 older lines above; nothing older\.$/);
    expect(shown().slice(25)).to.deep.equal(range(1, 5));
  });

  it('answers two history requests sent at once with two pages in turn, not the same page twice', async () => {
    await stop();
    await start({ rateCount: 100 });
    const bob = await srv.login('bob');
    for (let i = 1; i <= 30; i++) {
      bob.send({ type: 'say', text: `line ${i}` });
      await bob.line();
    }
    const alice = await register('alice');
    await alice.expect('NOTICE', /^Above: the last 20 lines said here/);
    alice.send('PRIVMSG tinychat :history 4', 'PRIVMSG tinychat :history 4'); // one write
    await alice.expect('NOTICE', /^4 older lines above; \/msg tinychat history for more\.$/);
    await alice.expect('NOTICE', /^4 older lines above; \/msg tinychat history for more\.$/);
    const shown = alice.all('PRIVMSG').filter((l) => l.nick === 'bob').map((l) => l.params[1]!.replace(/^\[[^\]]+\] /, ''));
    expect(shown.slice(20)).to.deep.equal(['line 7', 'line 8', 'line 9', 'line 10', 'line 3', 'line 4', 'line 5', 'line 6']);
  });

  it('pages back from the oldest line seen live when nothing was replayed at login', async () => {
    await stop();
    await start({ rateCount: 100, historyOnJoin: 0 });
    const bob = await srv.login('bob');
    const say = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) {
        bob.send({ type: 'say', text: `line ${i}` });
        await bob.line();
      }
    };
    await say(1, 10);
    // Two IRC users: a live line's bytes are made for one of them and shared with the other.
    const irc = [await register('alice'), await register('carol')];
    await say(11, 15);
    for (const c of irc) {
      await c.next(privmsg('bob', '#tinychat', 'line 15'));
      c.send('PRIVMSG tinychat :history 3');
      await c.expect('NOTICE', /^3 older lines above; \/msg tinychat history for more\.$/);
      const shown = c.all('PRIVMSG').filter((l) => l.nick === 'bob').map((l) => l.params[1]!.replace(/^\[[^\]]+\] /, ''));
      expect(shown).to.deep.equal(['line 11', 'line 12', 'line 13', 'line 14', 'line 15', 'line 8', 'line 9', 'line 10']);
    }
  });

  it('says so when the server keeps no history (--history-days 0)', async () => {
    await stop();
    await start({ historyDays: 0 });
    const alice = await register('alice');
    alice.send('PRIVMSG tinychat :history');
    await alice.expect('NOTICE', /^This server keeps no history\.$/);
  });

  it('shows native joins as JOIN and logouts as QUIT', async () => {
    const alice = await register('alice');
    const carol = await srv.login('carol');
    expect(await alice.next((l) => l.command === 'JOIN' && l.nick === 'carol')).to.deep.include({ params: ['#tinychat'] });
    carol.send({ type: 'logout' });
    expect((await alice.next((l) => l.command === 'QUIT' && l.nick === 'carol')).params).to.deep.equal(['carol left the chat']);
  });

  it('gives a native line with newlines as several PRIVMSGs, and a long one in lines of 512 bytes, losing nothing', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    bob.send({ type: 'say', text: 'one\ntwo\n\nthree' });
    const got = [await alice.next(privmsg('bob', '#tinychat', 'one')), await alice.next(privmsg('bob', '#tinychat', 'two')), await alice.next(privmsg('bob', '#tinychat', 'three'))];
    expect(got).to.have.length(3);
    const long = `${'é'.repeat(600)}${'x'.repeat(500)}`;
    bob.send({ type: 'say', text: long });
    bob.send({ type: 'say', text: 'end of long' });
    await alice.next(privmsg('bob', '#tinychat', 'end of long'));
    const pieces = alice.lines.filter((l) => l.command === 'PRIVMSG' && /^[éx]+$/.test(l.params[1] ?? ''));
    expect(pieces.length).to.be.greaterThan(2);
    for (const p of pieces) expect(Buffer.byteLength(`${p.raw}\r\n`)).to.be.at.most(512);
    expect(pieces.map((p) => p.params[1]).join('')).to.equal(long);
  });

  it(`shows a line of 32,767 lines as its first ${IRC_LINES_MAX} and a NOTICE of how many more: paged back and live`, async () => {
    await stop();
    await start({ historyOnJoin: 1 });
    const bob = await srv.login('bob');
    bob.send({ type: 'say', text: 'a\n'.repeat(32767) });
    bob.send({ type: 'say', text: 'after' });
    await bob.sync();
    const alice = await register('alice');
    await alice.expect('NOTICE', /^Above: the last line said here/);
    alice.send('PRIVMSG tinychat :history 1');
    await alice.expect('NOTICE', /^1 older line above; nothing older\.$/);
    bob.send({ type: 'say', text: 'a\n'.repeat(32767) });
    bob.send({ type: 'say', text: 'end' });
    await alice.next(privmsg('bob', '#tinychat', 'end'));
    const fromBob = alice.all('PRIVMSG').filter((l) => l.nick === 'bob').map((l) => l.params[1]!.replace(/^\[[^\]]+\] /, ''));
    const a = Array(IRC_LINES_MAX).fill('a');
    expect(fromBob).to.deep.equal(['after', ...a, ...a, 'end']);
    const note = '[65,504 more bytes not shown: IRC shows 15 lines of one message; a tinychat client shows it whole]';
    expect(alice.all('NOTICE').filter((l) => l.nick === 'tinychat' && l.params[0] === '#tinychat').map((l) => l.params[1])).to.deep.equal([note, note]);
  });

  it('counts a history request against the flood limit like a line: muted, it gets no page, but the notice that ends one', async () => {
    await stop();
    await start({ rateCount: 2, rateWindow: 60, muteSeconds: 60 });
    const alice = await register('alice');
    alice.send('PRIVMSG tinychat :history 1', 'PRIVMSG tinychat :history 1', 'PRIVMSG tinychat :history 1');
    await alice.expect('NOTICE', /^Nothing older: this is the start of the history\.$/);
    await alice.expect('NOTICE', /^Nothing older: this is the start of the history\.$/);
    await alice.next(serviceNotice(/^You are sending too fast: muted for 60 s$/));
    await alice.next(serviceNotice(/^No history while you are muted: \/msg tinychat history again once you can talk\.$/));
    await alice.sync();
    expect(alice.all('NOTICE').filter((l) => /^Nothing older/.test(l.params[1] ?? ''))).to.have.length(2);
  });

  it('keeps the session of an IRC user whose connection drops: the password takes it back, with what came meanwhile', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice', 'secret');
    alice.close();
    await waitUntil(() => srv.server.room.find('alice')?.state === 'detached', 'alice to be detached');
    bob.send({ type: 'dm', to: 'alice', text: 'while you were away' });
    const back = await register('alice', 'secret');
    await back.next(privmsg('bob', 'alice', 'while you were away'));
    expect(back.lines.filter(serviceNotice(/^You took back your session/)), 'in the welcome').to.have.length(1);
    expect(bob.all('notice').filter((n) => n.user === 'alice' && (n.event === 'leave' || n.event === 'offline')), 'never gone for bob').to.deep.equal([]);
  });

  it('carries one-shot private messages both ways, and answers a nick nobody has with 401', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('PRIVMSG bob :psst');
    expect(await bob.line()).to.deep.include({ from: 'alice', scope: 'private', to: 'bob', text: 'psst' });
    bob.send({ type: 'dm', to: 'ALICE', text: 'back at you' });
    await alice.next(privmsg('bob', 'alice', 'back at you'));
    alice.send('PRIVMSG nobody :hello?');
    expect((await alice.expect('401')).params.slice(1)).to.deep.equal(['nobody', 'there is no account named nobody']);
  });

  it('names in each 401 the nick it is about, in the order of the lines, when lines to several nicks come in one write', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('PRIVMSG nobody1 :a', 'PRIVMSG bob :b', 'PRIVMSG nobody2 :c', 'PRIVMSG nobody3 :d', 'PRIVMSG tinychat :PM nobody4', 'PRIVMSG bob :e');
    await alice.sync();
    expect(alice.all('401').map((l) => l.params.slice(1))).to.deep.equal([
      ['nobody1', 'there is no account named nobody1'],
      ['nobody2', 'there is no account named nobody2'],
      ['nobody3', 'there is no account named nobody3'],
    ]);
    // The service command's refusal is the service's (see the PM request spec below).
    expect(alice.lines.filter(serviceNotice(/nobody4/)).map((l) => l.params[1])).to.deep.equal(['there is no account named nobody4']);
    expect((await bob.line()).text).to.equal('b');
    expect((await bob.line()).text).to.equal('e');
  });

  it('never answers a NOTICE: not a missing nick, not the service, not a refusal; but delivers it', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('NOTICE nobody :x', 'NOTICE tinychat :help', 'NOTICE #elsewhere :x', 'NOTICE bob :\u0007', 'NOTICE #tinychat :a notice');
    expect(await bob.line()).to.deep.include({ from: 'alice', text: 'a notice' });
    await alice.sync();
    const after366 = alice.lines.slice(alice.lines.findIndex((l) => l.command === '366') + 1);
    expect(after366.filter((l) => l.command !== 'PONG' && !(l.command === 'NOTICE' && /Live chat/.test(l.params[1] ?? '')))).to.deep.equal([]);
  });

  it("answers the lines that come in one write with a NOTICE or a receipt's PONG: only the quiet one goes unanswered", async () => {
    await account('alice');
    const bob = await srv.login('bob');
    bob.send({ type: 'dm', to: 'alice', text: 'one' });
    await bob.notice('offline_stored');
    const alice = await connect();
    alice.autoPong = false;
    alice.send('PASS pw', 'NICK alice', 'USER alice 0 * :Alice');
    const ping = await alice.next((l) => l.command === 'PING' && /^receipt-\d+$/.test(l.params[0] ?? ''));
    // The receipt, a wrong one (quiet too), and a NOTICE, each followed by a refused PRIVMSG.
    alice.send(`PONG :${ping.params[0]}`, 'PRIVMSG nobody1 :a', 'PONG :receipt-999999', 'PRIVMSG nobody2 :b', 'NOTICE nobody3 :c', 'PRIVMSG nobody4 :d');
    await alice.sync();
    expect(alice.all('401').map((l) => l.params.slice(1))).to.deep.equal(['nobody1', 'nobody2', 'nobody4'].map((n) => [n, `there is no account named ${n}`]));
    expect(alice.lines.filter(serviceNotice(/receive/i)), 'the wrong receipt unanswered').to.deep.equal([]);
    await waitUntil(() => srv.logs.includes('INFO Offline messages: 1 delivered to alice'), 'the receipt applied');
  });

  it('answers NAMES, WHO, WHOIS, ISON, MODE, TOPIC; PART closes the window and JOIN opens it; other channels are 403', async () => {
    await srv.login('bob');
    const alice = await register('alice');
    alice.send('NAMES #tinychat', 'WHO #tinychat', 'WHOIS bob', 'WHOIS nobody', 'ISON bob nobody', 'MODE #tinychat', 'MODE #tinychat b', 'TOPIC #tinychat', 'JOIN #other');
    expect((await alice.expect('353')).params.at(-1)!.split(' ').sort()).to.deep.equal(['alice', 'bob']);
    await alice.expect('366');
    expect((await alice.expect('352')).params[5]).to.be.oneOf(['alice', 'bob']);
    await alice.expect('315');
    expect((await alice.expect('311')).params[1]).to.equal('bob');
    await alice.expect('318');
    expect((await alice.expect('401')).params[1]).to.equal('nobody');
    expect((await alice.expect('303')).params.at(-1)).to.equal('bob');
    expect((await alice.expect('324')).params.slice(1)).to.deep.equal(['#tinychat', '+nt']);
    await alice.expect('368');
    await alice.expect('332');
    expect((await alice.expect('403')).params[1]).to.equal('#other');
    alice.send('PART #tinychat');
    await alice.next((l) => l.command === 'PART' && l.nick === 'alice');
    alice.send('PRIVMSG #tinychat :while parted');
    await alice.expect('404');
    alice.send('JOIN #tinychat');
    await alice.next((l) => l.command === 'JOIN' && l.nick === 'alice');
    await alice.expect('366');
  });

  it('answers USERHOST (302), VERSION (351) and WHOIS of an away user (301), which IRC clients send by themselves or on a command', async () => {
    const bob = await srv.login('bob');
    await bob.request({ type: 'away', message: 'lunch' }, (m) => m.type === 'notice' && m.event === 'away');
    const alice = await register('alice');
    alice.send('USERHOST alice bob nobody', 'VERSION', 'WHOIS bob');
    // nick=+user@host, - for away; a nick not online is left out.
    expect((await alice.expect('302')).params.slice(1)).to.deep.equal(['alice=+alice@tinychat bob=-bob@tinychat']);
    expect((await alice.expect('351')).params.slice(1)).to.deep.equal(['tinychat-2', 'tinychat', 'tinychat: native clients and IRC in one room']);
    await alice.expect('311');
    expect((await alice.expect('301')).params.slice(1)).to.deep.equal(['bob', 'lunch']);
    await alice.expect('318');
    expect(alice.all('421'), 'nothing unknown').to.deep.equal([]);
  });

  it('answers the WHOWAS irssi sends by itself after a WHOIS of a nick not online with 406 and 369, not 421', async () => {
    const alice = await register('alice');
    alice.send('WHOIS nobody', 'WHOWAS nobody 1');
    await alice.expect('401');
    await alice.expect('318');
    expect((await alice.expect('406')).params.slice(1)).to.deep.equal(['nobody', 'There was no such nickname (tinychat keeps no WHOWAS history)']);
    expect((await alice.expect('369')).params.slice(1)).to.deep.equal(['nobody', 'End of WHOWAS']);
    expect(alice.all('421')).to.deep.equal([]);
  });

  it('answers a PM request for someone not online from the service, in its window, not with a 401 about the nick', async () => {
    await account('carol');
    const alice = await register('alice');
    alice.send('PRIVMSG tinychat :PM carol', 'PRIVMSG tinychat :PM ghost');
    await alice.next(serviceNotice(/^carol is not online$/));
    await alice.next(serviceNotice(/^there is no account named ghost$/));
    await alice.sync();
    expect(alice.all('401')).to.deep.equal([]);
  });

  it('goes through the whole private-session story with consent, both ways, and every native rule', async () => {
    const bob = await srv.login('bob');
    const carol = await srv.login('carol');
    const alice = await register('alice');
    // A native user asks the IRC user.
    bob.send({ type: 'pm_request', to: 'alice' });
    await alice.next(serviceNotice(/^bob wants a private chat with you\. Answer \/msg tinychat accept bob or \/msg tinychat reject bob$/));
    alice.send('PRIVMSG tinychat :accept bob');
    expect(await bob.notice('pm_started')).to.include({ user: 'alice' });
    await alice.next(serviceNotice(/^You are now in a private chat with bob: \/msg bob <text> talks to them; \/msg tinychat exit leaves\.$/));
    // Inside the session: bob's plain lines reach alice alone, as PRIVMSG to her nick.
    bob.send({ type: 'say', text: 'just us' });
    await alice.next(privmsg('bob', 'alice', 'just us'));
    expect(await carol.sync().then(() => carol.all('msg').filter((m) => m.text === 'just us'))).to.deep.equal([]);
    alice.send('PRIVMSG bob :indeed');
    expect(await bob.next((m) => m.type === 'msg' && m.from === 'alice')).to.deep.include({ scope: 'private', to: 'bob', text: 'indeed' });
    // Busy: nobody else can ask either of them.
    carol.send({ type: 'pm_request', to: 'alice' });
    expect(await carol.error()).to.include({ code: 'PM_BUSY' });
    alice.send('PRIVMSG tinychat :PM carol');
    await alice.next(serviceNotice(/you are already in a private chat with bob; send \/msg tinychat exit first/));
    // Leaving.
    alice.send('PRIVMSG tinychat :exit');
    expect(await bob.notice('pm_ended')).to.include({ user: 'alice' });
    await alice.next(serviceNotice(/^You left the private chat with bob$/));
    // The IRC user asks; a refusal reads sensibly.
    alice.send('PRIVMSG tinychat :PM bob');
    await alice.next(serviceNotice(/^Private chat request sent to bob/));
    expect(await bob.notice('pm_invite')).to.include({ user: 'alice' });
    bob.send({ type: 'pm_answer', accept: false });
    await alice.next(serviceNotice(/^bob refused your private chat request$/));
    // Asked again, accepted with a bare y from the native side; the partner going away ends it.
    alice.send('PRIVMSG tinychat :PM carol');
    await carol.notice('pm_invite');
    carol.send({ type: 'say', text: 'y' });
    await alice.next(serviceNotice(/^You are now in a private chat with carol/));
    carol.send({ type: 'logout' });
    await alice.next(serviceNotice(/^carol left the private chat$/));
    // Answering with nothing to answer.
    alice.send('PRIVMSG tinychat :accept nobody');
    await alice.next(serviceNotice(/nobody has not asked you for a private chat/));
  });
});

describe('IRC listener: hostile input (real TCP)', () => {
  beforeEach(() => start());
  afterEach(() => stop());

  it('never lets CR, LF or a control character in anything anyone sends become a line on another connection', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    const eve = await register('eve');
    // From IRC: a bare CR, NUL and CTCP-like bytes inside a line are refused, not passed on.
    eve.raw('PRIVMSG #tinychat :hi\rQUIT :pwned\r\nPRIVMSG alice :x\0y\r\nPRIVMSG #tinychat :\u0001DCC SEND x\u0001\r\n');
    await eve.sync();
    // From the native side: newlines and protocol text in a line, and in a dm.
    bob.send({ type: 'say', text: 'a\n:evil!evil@x PRIVMSG alice :fake\nKILL alice' });
    bob.send({ type: 'dm', to: 'alice', text: 'b\r' });
    bob.send({ type: 'say', text: 'done' });
    await alice.next(privmsg('bob', '#tinychat', 'done'));
    const after = alice.lines.slice(alice.lines.findIndex((l) => l.command === '366') + 1).filter((l) => !(l.command === 'NOTICE' && /Live chat/.test(l.params[1] ?? '')));
    expect(after.map((l) => l.raw)).to.deep.equal([
      ':eve!eve@tinychat JOIN #tinychat',
      ':bob!bob@tinychat PRIVMSG #tinychat :a',
      ':bob!bob@tinychat PRIVMSG #tinychat ::evil!evil@x PRIVMSG alice :fake',
      ':bob!bob@tinychat PRIVMSG #tinychat :KILL alice',
      ':bob!bob@tinychat PRIVMSG #tinychat :done',
    ]);
    expect(await bob.error()).to.include({ code: 'BAD_TEXT' });
    expect(bob.all('msg').filter((m) => m.from === 'eve')).to.deep.equal([]);
    // The CR and the NUL are refused as control characters; the CTCP (DCC) is no chat line at all.
    expect(eve.all('NOTICE').filter((l) => /control characters/.test(l.params[1] ?? ''))).to.have.length(2);
  });

  it('refuses a line over 512 bytes whole with 417, never cut, and reads the next line as usual', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send(`PRIVMSG #tinychat :${'x'.repeat(600)}`, 'PRIVMSG #tinychat :short');
    expect((await alice.expect('417')).params.at(-1)).to.match(/^message too long: 621 bytes, the limit is 512/);
    expect(await bob.line()).to.deep.include({ text: 'short' });
    // 100 KB with no end in sight, then its end: thrown away as it came, one 417.
    alice.raw(`PRIVMSG #tinychat :${'y'.repeat(100_000)}`);
    alice.raw('\r\nPRIVMSG #tinychat :after the flood\r\n');
    expect(await bob.line()).to.deep.include({ text: 'after the flood' });
    expect(alice.all('417')).to.have.length(2);
    expect(bob.all('msg').map((m) => m.text)).to.deep.equal(['short', 'after the flood']);
  });

  it('refuses a line that is not UTF-8, and goes on', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.raw(Buffer.concat([Buffer.from('PRIVMSG #tinychat :caf'), Buffer.from([0xe9, 0x0d, 0x0a]), Buffer.from('PRIVMSG #tinychat :café\r\n')]));
    await alice.next((l) => l.command === 'NOTICE' && /your line is not valid UTF-8/.test(l.params[1] ?? ''));
    expect(await bob.line()).to.deep.include({ text: 'café' });
  });

  it('handles registration and commands pipelined in one write, in order, after the login', async () => {
    const bob = await srv.login('bob');
    const c = await connect();
    c.raw('PASS pw\r\nNICK alice\r\nUSER alice 0 * :A\r\nPRIVMSG #tinychat :first\r\nPRIVMSG bob :second\r\nPRIVMSG #tinychat :third\r\nQUIT\r\n');
    expect(await bob.line()).to.deep.include({ text: 'first', scope: 'group' });
    expect(await bob.line()).to.deep.include({ text: 'second', scope: 'private' });
    expect(await bob.line()).to.deep.include({ text: 'third', scope: 'group' });
    expect(await bob.notice('leave')).to.include({ user: 'alice' });
    await c.whenClosed();
  });

  it('takes a command split across writes anywhere, a byte at a time, CR and LF apart', async () => {
    const bob = await srv.login('bob');
    const alice = await register('alice');
    const bytes = Buffer.from('PRIVMSG #tinychat :spliced ünïcode\r\nPRIVMSG #tinychat :second\r');
    for (const b of bytes) await new Promise<void>((r) => alice.socket.write(Buffer.from([b]), () => r()));
    expect(await bob.line()).to.deep.include({ text: 'spliced ünïcode' });
    await new Promise<void>((r) => alice.socket.write('\n', () => r()));
    expect(await bob.line()).to.deep.include({ text: 'second' });
  });

  it('mutes an IRC user who floods like a native one (the same limit, told as a NOTICE)', async () => {
    await srv.stop();
    await start({ rateCount: 3, rateWindow: 60, muteSeconds: 60 });
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('PRIVMSG #tinychat :1', 'PRIVMSG #tinychat :2', 'PRIVMSG #tinychat :3', 'PRIVMSG #tinychat :4', 'PRIVMSG bob :5');
    await alice.next(serviceNotice(/^You are sending too fast: muted for 60 s$/));
    await alice.next(serviceNotice(/^you are muted for sending too fast; try again in \d+ s$/));
    await bob.sync();
    expect(bob.all('msg').map((m) => m.text)).to.deep.equal(['1', '2', '3']);
  });

  it('drops an IRC user who stops reading, once their unread output passes --max-output', async () => {
    await srv.stop();
    const maxOutput = 64 * 1024;
    await start({ maxOutput, maxBody: 32 * 1024, rateCount: 1_000_000 });
    const talker = await srv.login('talker');
    const sink = await register('sink');
    sink.socket.pause();
    const text = 'x'.repeat(8 * 1024);
    let sent = 0;
    while (!srv.logs.some((l) => l.includes('slow reader')) && sent < 20_000) {
      for (let i = 0; i < 4; i++) talker.send({ type: 'say', text });
      sent += 4;
      await talker.sync();
    }
    expect(srv.logs.filter((l) => l.includes('slow reader'))[0]).to.include(`IRC 127.0.0.1`).and.include(`output over ${maxOutput} bytes unread`);
    expect(srv.server.room.find('sink')?.state).to.equal('detached');
  });

  it('counts IRC connections in the same limits as native ones (--max-per-address)', async () => {
    await srv.stop();
    await start({ maxPerAddress: 2 });
    const native = await TestClient.connect(srv.port);
    await register('alice');
    const third = await connect();
    expect((await third.expect('ERROR')).params[0]).to.equal('Closing link: too many connections from your address (at most 2); close one first');
    await third.whenClosed();
    native.close();
  });
});

describe('IRC listener: presence and deadlines (fake clock)', () => {
  let clock: FakeClock;
  afterEach(() => stop());

  it('PINGs every heartbeat-timeout/2: an IRC user who answers stays online, one who stops is marked offline like a native one', async () => {
    clock = new FakeClock();
    await start({ heartbeatTimeout: 20 }, clock);
    const bob = await srv.beating('bob');
    const alice = await register('alice');
    const carol = await register('carol');
    carol.autoPong = false;
    for (let t = 5_000; t <= 40_000; t += 5_000) {
      clock.advance(5_000);
      await bob.hb.beat();
      if (t % 10_000 === 0) {
        // The PING of this step; alice answers it by herself, and the round trip makes sure it was heard.
        await alice.next((l) => l.command === 'PING');
        await alice.sync();
      }
    }
    expect(await bob.notice('offline')).to.include({ user: 'carol', message: 'carol went offline (no heartbeat for 20 s)' });
    expect(alice.all('QUIT').map((l) => `${l.nick}: ${l.params[0]}`)).to.deep.equal(['carol: carol went offline (no heartbeat for 20 s)']);
    expect((await carol.expect('ERROR')).params[0]).to.match(/^You were marked offline/);
    await carol.whenClosed();
    expect(carol.all('PING').length, 'carol was asked, and never answered').to.be.at.least(1);
    expect(srv.server.room.find('alice')?.state, 'alice answered every PING').to.equal('attached');
    expect(bob.all('notice').filter((n) => n.event === 'offline' && n.user === 'alice')).to.deep.equal([]);
    // The operator's console tells the IRC user apart, and what keeps them online.
    expect(consoleCommand(srv.server, 'online')?.split('\n')).to.deep.equal([
      'Online users (2):',
      '  alice (IRC): last PONG 0.0 s ago',
      '  bob: last heartbeat 0.0 s ago',
    ]);
  });

  it("waits for a batch's receipt PING at most the heartbeat timeout: the channel's lines come, and the batch again at the next login", async () => {
    clock = new FakeClock();
    await start({ heartbeatTimeout: 20 }, clock);
    await account('alice');
    const bob = await srv.beating('bob');
    bob.send({ type: 'dm', to: 'alice', text: 'kept for you' });
    await bob.sync(); // the write is batched: its timer is set once the server has read the message
    clock.advance(100);
    await bob.notice('offline_stored');
    bob.send({ type: 'say', group: true, text: 'said before alice came' });
    await bob.sync();
    // A client that answers the keepalive PING, never the receipt's.
    const alice = await connect();
    alice.autoPong = false;
    alice.send('PASS pw', 'NICK alice', 'USER alice 0 * :Alice');
    await alice.next((l) => l.command === 'PING' && /^receipt-\d+$/.test(l.params[0] ?? ''));
    const channel = (c: IrcClient) => c.all('PRIVMSG').filter((l) => l.params[0] === '#tinychat').map((l) => l.params[1]!.replace(/^\[[^\]]+ UTC\] /, ''));
    await alice.sync();
    expect(channel(alice), 'the lines replayed wait for the receipt').to.deep.equal([]);
    for (let t = 5_000; t <= 20_000; t += 5_000) {
      clock.advance(5_000);
      await bob.hb.beat();
      if (t % 10_000 === 0) {
        const ping = await alice.next((l) => l.command === 'PING' && l.params[0] === 'tinychat');
        alice.send(`PONG :${ping.params[0]}`);
        await alice.sync();
      }
    }
    await waitUntil(() => channel(alice).length > 0, "the channel's lines");
    expect(channel(alice)).to.deep.equal(['said before alice came']);
    expect(srv.logs.filter((l) => l.includes('did not confirm'))).to.deep.equal([
      "WARN Offline messages: alice's client did not confirm receiving 1 within 20 s; they stay kept for the next login, with the 0 not sent (a receipt that comes later still counts)",
    ]);
    alice.send('QUIT');
    await alice.whenClosed();
    const again = await register('alice');
    await again.next((l) => l.command === 'PRIVMSG' && l.nick === 'bob' && l.params[0] === 'alice' && /kept for you$/.test(l.params[1] ?? ''));
    // Its own PONG to the receipt PING, this time.
    await waitUntil(() => srv.logs.includes('INFO Offline messages: 1 delivered to alice'), 'the receipt applied');
  });

  it('closes an IRC connection that has not registered by the login deadline', async () => {
    clock = new FakeClock();
    await start({ loginTimeout: 30, heartbeatTimeout: 3600 }, clock);
    const c = await connect();
    c.send('NICK slow');
    await waitUntil(() => srv.server.connections === 1, 'the connection to be accepted');
    await c.sync();
    clock.advance(29_000);
    await c.sync();
    expect(c.closed).to.equal(false);
    clock.advance(1_000);
    expect((await c.expect('ERROR')).params[0]).to.equal('Closing link: no login within the time allowed');
    await c.whenClosed();
  });

  it('expires an unanswered request after --pm-timeout, and both sides are told', async () => {
    clock = new FakeClock();
    await start({ pmTimeout: 60, heartbeatTimeout: 3600 }, clock);
    const bob = await srv.login('bob');
    const alice = await register('alice');
    alice.send('PRIVMSG tinychat :PM bob');
    await bob.notice('pm_invite');
    clock.advance(61_000);
    expect(await bob.notice('pm_expired')).to.include({ user: 'alice' });
    await alice.next(serviceNotice(/^Your private chat request to bob expired after 60 s without an answer$/));
  });
});
