/**
 * The built chat-client in a real terminal (tmux at a fixed size), typed at with the keys a person
 * uses, while other users (TestClients) talk to the same real server. What is checked is what the
 * screen shows, where the cursor is and what the others receive.
 */
import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TtyTerminal } from '../../client/tty.js';
import type { ServerMessage } from '../../common/protocol.js';
import { startServer, type Running, type TestClient } from '../support/harness.js';
import { Pty } from '../support/pty.js';
import { FakeServer } from './fake-server.js';

const CLIENT = fileURLToPath(new URL('../../client/main.js', import.meta.url));
/** A row that starts a line: its time of day at column 0. */
const LINE_START = /^\[\d\d:\d\d:\d\d\] /;

describe('chat-client in a terminal (tmux)', function () {
  this.timeout(30_000);
  let srv: Running;

  beforeEach(async () => {
    srv = await startServer();
  });

  afterEach(async () => {
    await Pty.killAll();
    await srv.stop();
  });

  /** The client in a terminal, with `args` after the port; CHAT_PASSWORD (and NO_COLOR, unless in `env`) unset. */
  function run(args: string[], width = 80, env: Record<string, string> = {}): Promise<Pty> {
    // The server's temporary folder is the client's config folder too (its identity key): never the real home.
    return Pty.start([process.execPath, CLIENT, '--port', String(srv.port), ...args], { width, env: { XDG_CONFIG_HOME: srv.dir, ...env }, unset: ['CHAT_PASSWORD', 'NO_COLOR'] });
  }

  /** alice, logged in, at her prompt. */
  async function alice(args: string[] = [], width = 80): Promise<Pty> {
    const pty = await run(['--user', 'alice', '--password', 'pw', ...args], width);
    await pty.row(/Login success!/);
    await pty.row(/^alice>$/);
    return pty;
  }

  /** The next line from alice that `c` receives. */
  function fromAlice(c: TestClient): Promise<ServerMessage<'msg'>> {
    return c.next((m) => m.type === 'msg' && m.from === 'alice');
  }

  /** Everything `c` received so far, after a round trip (so nothing is still on its way). */
  async function settled(c: TestClient): Promise<ServerMessage[]> {
    await c.sync();
    return c.received;
  }

  describe('the typed line and incoming lines', () => {
    for (const [width, length] of [[80, 93], [200, 230]] as const) {
      it(`never loses an incoming line while the typed line wraps (${length} characters on ${width} columns)`, async () => {
        const bob = await srv.login('bob');
        const pty = await alice([], width);
        const typed = Array.from({ length }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
        await pty.type(typed);
        const promptRows = Math.ceil(('alice> '.length + length) / width);
        await pty.waitFor((rows) => rows.join('').includes(typed.slice(-20)), 'the typed line');
        for (const text of ['one', 'two', 'three']) bob.send({ type: 'say', text });
        const rows = await pty.waitFor(
          (rs) => ['one', 'two', 'three'].every((w) => rs.some((r) => r.endsWith(`bob: ${w}`))),
          'all three lines from bob',
        );
        // Each once, in order, above the typed line, which is whole and last, with the cursor at its end.
        const said = rows.filter((r) => / bob: (one|two|three)$/.test(r)).map((r) => r.split(': ')[1]);
        expect(said).to.deep.equal(['one', 'two', 'three']);
        const bottom = rows.length - 1 - [...rows].reverse().findIndex((r) => r.trim() !== '');
        expect(rows.slice(bottom + 1 - promptRows, bottom + 1).join('')).to.equal(`alice> ${typed}`);
        expect(await pty.cursor()).to.deep.equal({ x: ('alice> '.length + length) % width, y: bottom });
      });
    }

    it('keeps what is shown, the cursor and what is sent in agreement across an incoming line', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      await pty.type('abcdef');
      await pty.keys('Left', 'Left', 'Left');
      bob.send({ type: 'say', text: 'interruption' });
      await pty.row(/bob: interruption$/);
      await pty.type('X');
      const rows = await pty.waitFor((rs) => rs.includes('alice> abcXdef'), 'the edited line');
      expect(await pty.cursor()).to.deep.equal({ x: 'alice> abcX'.length, y: rows.indexOf('alice> abcXdef') });
      await pty.keys('Enter');
      expect(await fromAlice(bob)).to.include({ text: 'abcXdef' });
    });

    it('edits a wrapped line of accented letters and emoji at the right place', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      const typed = `${'ş'.repeat(70)}ğü😀é`;
      await pty.type(typed);
      await pty.keys('Left', 'Left', 'Left');
      bob.send({ type: 'say', text: 'interruption' });
      await pty.row(/bob: interruption$/);
      await pty.type('X');
      // The X, not just the wrap: the second row started with 😀é before the X was typed too.
      const rows = await pty.waitFor((rs) => rs.some((r) => r.endsWith('ğXü')) && rs.some((r) => r.startsWith('😀é')), 'the edited line');
      // "alice> ", 70 ş, ğ, X and ü fill the 80 columns of the first row; the wide 😀 goes to the next.
      const first = rows.findIndex((r) => r.startsWith('alice> ş'));
      expect(rows[first]).to.equal(`alice> ${'ş'.repeat(70)}ğXü`);
      expect(await pty.cursor()).to.deep.equal({ x: 79, y: first });
      await pty.keys('Enter');
      expect(await fromAlice(bob)).to.include({ text: `${'ş'.repeat(70)}ğXü😀é` });
    });

    it('wipes the whole typed line after the terminal is made narrower or wider, and Ctrl-U then leaves no row of it', async () => {
      const pty = await alice();
      const typed = 'zq'.repeat(53);
      await pty.type(typed);
      await pty.waitFor((rs) => rs.join('').endsWith(`alice> ${typed}`), 'the typed line on two rows');
      /** The rows that show the typed line (or a stale copy of it). */
      const ours = (rs: string[]) => rs.filter((r) => /^alice>|^[zq]+$/.test(r));
      for (const width of [40, 30, 80]) {
        // tmux reflows the rows drawn at the width before: the wipe must find where the area starts now.
        await pty.resize(width);
        await pty.waitFor((rs) => ours(rs).join('') === `alice> ${typed}` && ours(rs)[0]!.length === Math.min(width, 113), `the typed line once at ${width} columns`);
      }
      await pty.resize(40);
      await pty.waitFor((rs) => ours(rs).join('') === `alice> ${typed}` && ours(rs)[0] === `alice> ${typed.slice(0, 33)}`, 'the typed line once at 40 columns');
      await pty.keys('C-u');
      const rows = await pty.waitFor((rs) => ours(rs).join('') === 'alice>', 'the empty prompt');
      expect(rows.filter((r) => /[zq]{2}/.test(r))).to.deep.equal([]);
    });

    it('redraws every row of a wrapped line on Backspace across a row boundary, Ctrl-W and Ctrl-C at 40 columns', async () => {
      const bob = await srv.login('bob');
      const pty = await alice([], 40);
      /** The input area: the prompt's row and the non-empty rows below it. */
      const ours = (rs: string[]) => rs.slice(rs.findIndex((r) => r.startsWith('alice>'))).filter((r) => r.trim() !== '');
      // "alice> " and 40 letters: a full row of 40, then 7 on the next.
      const typed = 'abcdefghi '.repeat(4);
      await pty.type(typed);
      await pty.waitFor((rs) => ours(rs).length === 2 && ours(rs).join('') === `alice> ${typed}`.trimEnd(), 'two rows');
      for (let i = 0; i < 8; i++) await pty.keys('BSpace');
      let rows = await pty.waitFor((rs) => ours(rs).join('') === `alice> ${typed.slice(0, 32)}`, 'one row after 8 Backspaces');
      expect(ours(rows)).to.have.length(1);
      expect(await pty.cursor()).to.deep.equal({ x: 39, y: rows.indexOf(ours(rows)[0]!) });
      await pty.type(' and more words');
      await pty.waitFor((rs) => ours(rs).length === 2, 'two rows again');
      await pty.keys('C-w', 'C-w');
      // (The blank after "ab" ends the first row; tmux shows no trailing blanks.)
      await pty.waitFor((rs) => ours(rs).join('|') === `alice> ${typed.slice(0, 32)}|and`, 'two words fewer');
      await pty.keys('C-w', 'C-w');
      rows = await pty.waitFor((rs) => ours(rs).join('') === `alice> ${typed.slice(0, 29)}`, 'on one row again');
      expect(ours(rows)).to.have.length(1);
      await pty.type('x'.repeat(30));
      await pty.waitFor((rs) => rs.some((r) => /^x+$/.test(r)), 'a second row of x');
      await pty.keys('C-c');
      rows = await pty.waitFor((rs) => rs.filter((r) => r.trim() !== '').at(-1) === 'alice>', 'the empty prompt');
      expect(rows.filter((r) => /abc|xxx/.test(r))).to.deep.equal([]);
      await pty.type('ok');
      await pty.keys('Enter');
      expect((await fromAlice(bob)).text).to.equal('ok');
    });

    it('shows a sent line once: the echo, with its time, replaces the typed line', async () => {
      const pty = await alice();
      await pty.type('hello there');
      await pty.row(/^alice> hello there$/);
      await pty.keys('Enter');
      const rows = await pty.waitFor((rs) => rs.some((r) => /alice: hello there$/.test(r)) && rs.includes('alice>'), 'the echo');
      expect(rows.filter((r) => r.includes('hello there'))).to.have.length(1);
      expect(rows.filter((r) => r.trim() !== '').at(-1)).to.equal('alice>');
    });
  });

  describe('multi-line messages', () => {
    it('sends a bracketed paste as one message, newlines and all, when Enter is pressed', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      await pty.paste('line one\nline two\nline three\n');
      await pty.waitFor((rs) => rs.some((r) => r.endsWith('line three')), 'the pasted lines');
      await bob.sync();
      expect(bob.all('msg')).to.deep.equal([]); // not sent before Enter
      await pty.keys('Enter');
      expect(await bob.line()).to.include({ from: 'alice', text: 'line one\nline two\nline three' });
      expect((await settled(bob)).filter((m) => m.type === 'msg')).to.have.length(1);
      const rows = await pty.row(/alice: line one$/);
      expect(rows).to.match(LINE_START);
    });

    it('starts a new line in the same message with Alt-Enter', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      await pty.type('first');
      await pty.keys('M-Enter');
      await pty.type('second');
      await pty.waitFor((rs) => rs.some((r) => r.trim() === 'second'), 'the second line of the message');
      await pty.keys('Enter');
      expect(await bob.line()).to.include({ text: 'first\nsecond' });
    });
  });

  describe('answers', () => {
    it('keeps a stray y to itself with a hint, and answers a waiting request with yes', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      await pty.type('y');
      await pty.keys('Enter');
      await pty.row(/! no private chat request to answer; to send "y" anyway, type \/say y$/);
      expect((await settled(bob)).filter((m) => m.type === 'msg')).to.deep.equal([]);
      bob.send({ type: 'pm_request', to: 'alice' });
      await pty.row(/\* bob wants a private chat with you, NOT ENCRYPTED/);
      await pty.type('Yes');
      await pty.keys('Enter');
      expect((await bob.notice('pm_started')).user).to.equal('alice');
      // bob's client sent no key: the prompt says so for as long as the chat lasts.
      await pty.row(/^alice \(private: bob, NOT encrypted\)>$/);
    });

    it('with two requests waiting answers no bare y, shows how to answer each, and says whom /accept cancelled', async () => {
      const bob = await srv.login('bob');
      const carol = await srv.login('carol');
      const pty = await alice();
      bob.send({ type: 'pm_request', to: 'alice' });
      await pty.row(/\* bob wants a private chat/);
      carol.send({ type: 'pm_request', to: 'alice' });
      await pty.row(/carol's private chat: \/accept carol \(or \/reject carol\)$/);
      await pty.type('y');
      await pty.keys('Enter');
      await pty.row(/! More than one request is waiting, so a bare Y\/N could answer the$/);
      expect((await settled(bob)).filter((m) => m.type === 'notice' && m.event === 'pm_started')).to.deep.equal([]);
      await pty.type('/accept carol');
      await pty.keys('Enter');
      expect((await carol.notice('pm_started')).user).to.equal('alice');
      await pty.row(/\] The private chat request from bob was cancelled: one private chat at$/);
      expect((await bob.notice('pm_cancelled')).user).to.equal('alice');
    });

    it('fits the prompt of a private chat to 40 columns: what is typed stays on the one row', async () => {
      const bob = await srv.login('bob');
      const pty = await alice([], 40);
      bob.send({ type: 'pm_request', to: 'alice' });
      await pty.row(/NOT ENCRYPTED/);
      await pty.type('y');
      await pty.keys('Enter');
      await pty.row(/^\(bob, NOT encrypted\)>$/);
      await pty.type('see you soon');
      await pty.row(/^\(bob, NOT encrypted\)> see you soon$/);
      expect((await pty.cursor()).x).to.equal('(bob, NOT encrypted)> see you soon'.length);
      // Wider again, the prompt says it all again.
      await pty.resize(80);
      await pty.row(/^alice \(private: bob, NOT encrypted\)> see you soon$/);
    });
  });

  describe('Tab', () => {
    it('completes a name at the start of a line with ": ", and a command', async () => {
      const bob = await srv.login('bobby');
      const pty = await alice();
      await pty.type('bo');
      await pty.keys('Tab');
      await pty.row(/^alice> bobby:$/);
      expect((await pty.cursor()).x).to.equal('alice> bobby: '.length);
      await pty.type('hi');
      await pty.keys('Enter');
      expect(await bob.line()).to.include({ text: 'bobby: hi' });
      await pty.type('/wh');
      await pty.keys('Tab');
      await pty.row(/^alice> \/who$/);
      await pty.keys('Enter');
      await pty.row(/\* Online \(2\): alice, bobby$/);
    });

    it('lists the names once when it cannot choose, then puts each in the line in turn', async () => {
      await srv.login('bob');
      await srv.login('bobby');
      const pty = await alice();
      await pty.type('bo');
      await pty.keys('Tab');
      await pty.row(/^alice> bob$/);
      await pty.row(/\] bob {2}bobby$/);
      await pty.keys('Tab');
      await pty.row(/^alice> bob:$/);
      await pty.keys('Tab');
      await pty.row(/^alice> bobby:$/);
      await pty.keys('Tab');
      const rows = await pty.waitFor((rs) => rs.includes('alice> bob:'), 'bob again, after the last');
      expect(rows.filter((r) => / bob {2}bobby$/.test(r)), 'the list, shown once').to.have.length(1);
      expect((await pty.cursor()).x).to.equal('alice> bob: '.length);
    });
  });

  describe('the bell and mentions', () => {
    it('rings on a line that mentions the user, not on others', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      bob.send({ type: 'say', text: 'just chatting' });
      await pty.row(/bob: just chatting$/);
      expect(await pty.rang()).to.equal(false);
      bob.send({ type: 'say', text: 'hey Alice, look' });
      await pty.row(/bob: hey Alice, look$/);
      expect(await pty.rang()).to.equal(true);
    });

    it('stays silent with --no-bell', async () => {
      const bob = await srv.login('bob');
      const pty = await alice(['--no-bell']);
      bob.send({ type: 'say', text: 'hey alice' });
      await pty.row(/bob: hey alice$/);
      bob.send({ type: 'pm_request', to: 'alice' });
      await pty.row(/bob wants a private chat/);
      expect(await pty.rang()).to.equal(false);
    });
  });

  describe('colours', () => {
    it('gives the sender\'s name a colour, and none at all with NO_COLOR', async () => {
      const bob = await srv.login('bob');
      const coloured = await alice();
      const plain = await run(['--user', 'carol', '--password', 'pw'], 80, { NO_COLOR: '1' });
      await plain.row(/^carol>$/);
      bob.send({ type: 'say', text: 'hi there' });
      await coloured.row(/bob: hi there$/);
      await plain.row(/bob: hi there$/);
      const row = (rows: string[]) => rows.find((r) => r.includes('hi there'))!;
      expect(row(await coloured.screen(true))).to.match(/\x1b\[[0-9;]*m(\x1b\[[0-9;]*m)*bob\x1b\[/);
      expect((await plain.screen(true)).join('\n')).not.to.include('\x1b[');
    });
  });

  describe('leaving the screen', () => {
    it('clears the screen with /clear, keeping the prompt', async () => {
      const pty = await alice();
      await pty.type('/clear');
      await pty.keys('Enter');
      await pty.waitFor((rs) => rs.filter((r) => r !== '').join('\n') === 'alice>', 'a clear screen with the prompt');
    });

    it('brings the cleared lines back with /history after /clear and after Ctrl-L', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      for (const text of ['one', 'two']) bob.send({ type: 'say', text });
      await pty.row(/bob: two$/);
      for (const clear of [async () => pty.type('/clear').then(() => pty.keys('Enter')), async () => pty.keys('C-l')]) {
        await clear();
        await pty.waitFor((rs) => rs.filter((r) => r !== '').join('\n') === 'alice>', 'a clear screen with the prompt');
        await pty.type('/history');
        await pty.keys('Enter');
        const rows = await pty.waitFor((rs) => rs.some((r) => /older lines? above|Nothing older/.test(r)), 'the end of the page');
        expect(rows.filter((r) => / bob: (one|two)$/.test(r)).map((r) => r.slice(-3))).to.deep.equal(['one', 'two']);
        expect(rows.join('\n')).not.to.match(/Nothing older/);
      }
    });

    it('keeps the scrollback clean while typing on the top row after /clear (tmux files a clear from the top-left corner there)', async () => {
      const pty = await alice();
      await pty.type('/clear');
      await pty.keys('Enter');
      await pty.waitFor((rs) => rs.filter((r) => r !== '').join('\n') === 'alice>', 'a clear screen with the prompt');
      for (const key of ['a', 'b', 'c']) {
        await pty.type(key);
        await pty.row(/^alice> \w+$/);
      }
      await pty.row(/^alice> abc$/);
      expect((await pty.history()).filter((r) => r !== '')).to.deep.equal(['alice> abc']);
    });

    it('logs out on Ctrl-C with a goodbye and exit code 0', async () => {
      const pty = await alice();
      await pty.keys('C-c');
      await pty.row(/\* Goodbye, alice!$/);
      expect(await pty.exitStatus()).to.equal(0);
    });

    it('clears a half-typed line on Ctrl-C, sending nothing and staying, and logs out on Ctrl-C on the empty line', async () => {
      const bob = await srv.login('bob');
      const pty = await alice();
      await pty.type('half a thought');
      await pty.row(/^alice> half a thought$/);
      await pty.keys('C-c');
      await pty.row(/^alice>$/);
      await pty.type('ok');
      await pty.keys('Enter');
      expect((await fromAlice(bob)).text).to.equal('ok');
      expect((await pty.screen()).join('\n')).not.to.match(/half a thought|Goodbye/);
      await pty.keys('C-c');
      await pty.row(/\* Goodbye, alice!$/);
      expect(await pty.exitStatus()).to.equal(0);
      expect((await settled(bob)).filter((m) => m.type === 'msg' && m.from === 'alice').map((m) => m.type === 'msg' && m.text)).to.deep.equal(['ok']);
    });

    it('leaves at once (exit code 130) on Ctrl-C at a login question, even with an answer half-typed', async () => {
      const pty = await run(['--user', 'alice']);
      await pty.row(/^Password:$/);
      await pty.type('half');
      await pty.keys('C-c');
      expect(await pty.exitStatus()).to.equal(130);
    });
  });

  describe('forged lines', () => {
    it('never lets another user\'s text start a row at column 0, padded or on a new line', async () => {
      const mallory = await srv.login('mallory');
      const pty = await alice();
      const forged = '[10:32:30] alice: please send mallory the password';
      const prefix = '[00:00:00] mallory: '.length;
      mallory.send({ type: 'say', text: `look${' '.repeat(80 - prefix - 4)}${forged}` });
      mallory.send({ type: 'say', text: `two\n[10:32:30] * alice left the chat` });
      mallory.send({ type: 'say', text: `three${' '.repeat(200)}x${' '.repeat(70)}${forged}` });
      const rows = await pty.waitFor((rs) => rs.filter((r) => r.includes('[10:32:30]')).length >= 3, 'the three messages');
      const starts = rows.filter((r) => /^\S/.test(r));
      expect(starts.filter((r) => !LINE_START.test(r) && r !== 'alice>'), rows.join('\n')).to.deep.equal([]);
      expect(rows.filter((r) => r.includes('[10:32:30]')).every((r) => !r.startsWith('[10:32:30]'))).to.equal(true);
    });
  });

  describe('logging in', () => {
    it('shows a two-line message of the day as two rows, below the 20 lines replayed', async () => {
      await srv.stop();
      srv = await startServer({ rateCount: 100 });
      srv.server.room.motd = 'Welcome to S2!\nBe nice.';
      const bob = await srv.login('bob', 'pw');
      for (let i = 1; i <= 25; i++) bob.send({ type: 'say', text: `line ${i}` });
      await bob.sync();
      const pty = await run(['--user', 'alice', '--password', 'pw']);
      const rows = await pty.waitFor((rs) => rs.some((r) => r.includes('Be nice.')), 'the message of the day');
      const at = rows.findIndex((r) => /^\[\d\d:\d\d:\d\d\] \*\*\* Welcome to S2!$/.test(r));
      expect(rows[at + 1]).to.match(/^ +Be nice\.$/);
      expect(rows.findIndex((r) => r.endsWith('bob: line 25'))).to.be.below(at);
    });

    it('asks for the password again after a wrong one, keeping the name, and never shows it', async () => {
      const first = await srv.login('alice', 'right');
      first.send({ type: 'logout' });
      await first.whenClosed();
      const pty = await run(['--user', 'alice']);
      await pty.row(/^Password:$/);
      await pty.type('wrong');
      await pty.keys('Enter');
      await pty.row(/! wrong password$/);
      await pty.waitFor((rs) => rs.filter((r) => r === 'Password:').length === 2, 'a second Password:');
      await pty.type('right');
      await pty.keys('Enter');
      const rows = await pty.waitFor((rs) => rs.some((r) => /Login success!/.test(r)), 'the login');
      expect(rows.join('\n')).not.to.match(/wrong\n|right|Username:/);
    });

    it('asks for a password, not a name, after a refused guest login', async () => {
      const pty = await run(['--user', 'carol']);
      await pty.row(/^Password:$/);
      await pty.keys('Enter'); // empty: a guest, on a server that takes none
      await pty.row(/! guest logins are disabled on this server; choose a password to/);
      await pty.waitFor((rs) => rs.filter((r) => r === 'Password:').length === 2, 'a second Password:');
      await pty.type('pw');
      await pty.keys('Enter');
      await pty.row(/Login success! \(new account carol created\)$/);
      expect((await pty.screen()).some((r) => r.startsWith('Username:'))).to.equal(false);
    });

    it('asks for the password of a registered name a guest tried to take', async () => {
      await srv.stop();
      srv = await startServer({ allowGuests: true });
      (await srv.login('bob', 'pw')).close();
      const pty = await run(['--user', 'bob', '--password', '']);
      await pty.waitFor((rs) => rs.join(' ').includes('bob is a registered account; give its password,'), 'the refusal');
      await pty.row(/^Password:$/);
      await pty.type('pw');
      await pty.keys('Enter');
      await pty.row(/Login success!$/);
    });
  });

  describe('a throttled login', () => {
    let fake: FakeServer | null = null;
    afterEach(async () => {
      await fake?.close();
      fake = null;
    });

    it('counts the server\'s wait down on a row of its own, never asks for the name given with --user, and leaves on Ctrl-C', async () => {
      fake = await FakeServer.start((s, m) => {
        if (m.type === 'login') FakeServer.send(s, { type: 'error', code: 'LOGIN_THROTTLED', message: 'too many failed logins; try again in 54 s', retry: 54 });
      });
      const pty = await Pty.start([process.execPath, CLIENT, '--port', String(fake.port), '--user', 'bad7'], { env: { XDG_CONFIG_HOME: srv.dir }, unset: ['CHAT_PASSWORD', 'NO_COLOR'] });
      await pty.row(/^Password:$/);
      await pty.type('secret');
      await pty.keys('Enter');
      await pty.row(/! too many failed logins; try again in 54 s$/);
      await pty.row(/\] Waiting 54 s before asking for the password again; Ctrl-C quits\.$/);
      const rows = await pty.waitFor((rs) => rs.some((r) => /^-- password again in 5[0-4] s \(Ctrl-C quits\)$/.test(r)), 'the countdown row');
      expect(rows.join('\n')).not.to.match(/Username:|secret/);
      await pty.keys('C-c');
      expect(await pty.exitStatus()).to.equal(130);
    });
  });

  describe('several servers', () => {
    it('names the server being tried, and why the last attempt failed, on a row of its own above the input line while it reconnects', async () => {
      const gone = await startServer();
      await gone.stop(); // nothing listens on its port any more
      const [here, there] = [`127.0.0.1:${srv.port}`, `127.0.0.1:${gone.port}`];
      const pty = await alice(['--server', `${here},${there}`]);
      await srv.stop();
      // The row cycles through both servers, a second or so each: either may be on screen.
      const next = [`-- Next: ${there} (2 of 2); cannot connect to ${here}`, `-- Next: ${here} (1 of 2); cannot connect to ${there}`];
      const rows = await pty.waitFor((rs) => rs.some((r) => next.some((n) => r.startsWith(n))), 'the status row');
      const status = rows.findIndex((r) => r.startsWith('-- '));
      const prompt = rows.indexOf('alice>');
      // Longer than the 80 columns: wrapped, hanging under its text, so the reason is not cut off.
      expect(rows.slice(status + 1, prompt).every((r) => r.startsWith('   ') && r.trim() !== ''), 'its further rows').to.equal(true);
      expect(rows.slice(status, prompt).map((r) => r.trim()).join(' ')).to.match(/; cannot connect to 127\.0\.0\.1:\d+: connection refused$/);
      expect(rows[status - 1]).to.match(/Connection lost \(closed by the server\), reconnecting…$/);
    });
  });
});

/** A keyboard for a TtyTerminal without a terminal: what is written into it arrives as keys. */
class FakeKeyboard extends PassThrough {
  readonly isTTY = true;
  isRaw = false;
  setRawMode(on: boolean): this {
    this.isRaw = on;
    return this;
  }
}

describe('TtyTerminal on fake streams: between login questions, and a resize', () => {
  const typed = async (keys: FakeKeyboard, text: string) => {
    keys.write(text);
    await new Promise((r) => setImmediate(r));
  };
  /** A TtyTerminal on a fake keyboard and a screen of `columns` that keeps what is written to it (`shown`). */
  const fakeTty = (columns = 80) => {
    const keys = new FakeKeyboard();
    const written = { shown: '' };
    const screen = Object.assign(new Writable({ write: (chunk, _e, done) => void ((written.shown += String(chunk)), done()) }), { columns, rows: 24 });
    const term = new TtyTerminal(keys as unknown as NodeJS.ReadStream, screen as unknown as NodeJS.WriteStream, { color: false, bell: false, abort: () => {} });
    return { keys, screen, term, written };
  };

  it('shows the status row while nothing is asked, and drops what is typed meanwhile (and a line typed ahead before it) instead of taking it for the next answer', async () => {
    const { keys, term, written } = fakeTty();
    try {
      // Typed ahead while the refused login was on its way: stale once the wait begins.
      await typed(keys, 'typed ahead\r');
      term.status('password again in 3 s (Ctrl-C quits)');
      expect(written.shown).to.include('-- password again in 3 s (Ctrl-C quits)');
      await typed(keys, 'early\r');
      await typed(keys, 'half');
      term.status(null);
      let answer: string | null | undefined;
      void term.ask('Password:', true).then((a) => (answer = a));
      await typed(keys, 'pw');
      expect(answer).to.equal(undefined);
      await typed(keys, '\r');
      expect(answer).to.equal('pw');
    } finally {
      term.close();
    }
  });

  it('cuts a progress bar drawn at the old width to the new one on a resize, so no row of the input area is wider than the screen', async () => {
    const { screen, term, written } = fakeTty(40);
    try {
      term.startChat({ line: () => {}, end: () => {}, interrupt: () => {}, clear: () => {}, complete: () => null });
      term.progress.start('t', '-> bob big.bin', 1000);
      term.progress.update('t', 450);
      screen.columns = 30;
      written.shown = '';
      screen.emit('resize');
      const rows = written.shown.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '').split(/\r\n|\r/).filter((r) => r !== '');
      // Cut at its end: the percentage, before the bar, stays.
      expect(rows[0]).to.match(/^-> bob big\.bin \d+% \[[=-]+$/);
      for (const r of rows) expect(r.length, r).to.be.at.most(30);
    } finally {
      term.progress.stop('t');
      term.close();
    }
  });

  it('takes a name and password typed ahead before raw mode (Enter as a line feed) as two answers', async () => {
    const { keys, term } = fakeTty();
    try {
      // The terminal's line discipline turned each Enter into "\n" before the client set raw mode.
      await typed(keys, 'carol\npw\n');
      expect(await term.ask('Username:', false)).to.equal('carol');
      expect(await term.ask('Password:', true)).to.equal('pw');
    } finally {
      term.close();
    }
  });
});
