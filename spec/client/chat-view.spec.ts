import { expect } from 'chai';
import { ChatView } from '../../client/chat-view.js';
import { Formatter } from '../../client/format.js';
import { paint } from '../../client/paint.js';
import type { NoticeEvent, ServerMessage } from '../../common/protocol.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 1);
const utc = (ms: number) => new Date(ms).toISOString().slice(11, 19);

function view(): ChatView {
  const v = new ChatView(new Formatter(utc, () => T));
  v.loggedIn({ type: 'login_ok', user: 'alice', created: false, guest: false, online: ['alice', 'bob', 'bobby'], count: 3 }, 'login');
  return v;
}
const notice = (event: NoticeEvent, user: string): ServerMessage => ({ type: 'notice', event, message: `${event} ${user}`, ts: T, user });
const say = (from: string, text: string): ServerMessage => ({ type: 'msg', id: 1, from, ts: T, scope: 'group', text });
const texts = (lines: { text: string }[]) => lines.map((l) => l.text);

describe('client/chat-view', () => {
  it('greets after a login, and says "Reconnected" after a resume', () => {
    const v = new ChatView(new Formatter(utc, () => T));
    const ok: ServerMessage<'login_ok'> = { type: 'login_ok', user: 'alice', created: true, guest: false, online: ['alice'] };
    expect(texts(v.loggedIn(ok, 'login'))).to.deep.equal([
      '[12:00:01] Login success! (new account alice created)',
      '[12:00:01] Type /help for the list of commands.',
      '[12:00:01] *** Online (1): alice',
    ]);
    expect(texts(v.loggedIn({ ...ok, partner: 'bob' }, 'resume'))).to.deep.equal([
      '[12:00:01] Reconnected',
      '[12:00:01] You are in a private chat with bob; type EXIT PM to leave.',
    ]);
    expect(v.prompt).to.equal('alice (private: bob)> ');
  });

  it('says so when a private chat did not survive a new login (the server restarted): what is typed now goes to everyone', () => {
    const v = new ChatView(new Formatter(utc, () => T));
    const ok: ServerMessage<'login_ok'> = { type: 'login_ok', user: 'alice', created: false, guest: false, online: ['alice', 'bob'] };
    v.loggedIn({ ...ok, partner: 'bob' }, 'login');
    expect(v.prompt).to.equal('alice (private: bob)> ');
    expect(texts(v.loggedIn(ok, 'relogin'))).to.deep.equal([
      '[12:00:01] Reconnected: the previous session was gone, so you are logged in again as alice.',
      '[12:00:01] *** Online (2): alice, bob',
      '[12:00:01] ! your private chat with bob ended with the previous session: what you type now goes to everyone',
    ]);
    expect(v.prompt).to.equal('alice> ');
    expect(texts(v.loggedIn(ok, 'relogin')).join('\n'), 'said once').to.not.match(/private chat/);
  });

  it("says nothing of a private chat that ended while a resumed session was away: the server's own notice follows", () => {
    const v = new ChatView(new Formatter(utc, () => T));
    const ok: ServerMessage<'login_ok'> = { type: 'login_ok', user: 'alice', created: false, guest: false, online: ['alice', 'bob'] };
    v.loggedIn({ ...ok, partner: 'bob' }, 'login');
    expect(texts(v.loggedIn(ok, 'resume'))).to.deep.equal(['[12:00:01] Reconnected']);
  });

  it('tells a guest so, and when the name given was taken', () => {
    const v = new ChatView(new Formatter(utc, () => T));
    const ok: ServerMessage<'login_ok'> = { type: 'login_ok', user: 'alice_2', created: false, guest: true, online: ['alice', 'alice_2'] };
    expect(texts(v.loggedIn(ok, 'login', 'alice'))).to.include(
      '[12:00:01] You are a guest: alice was taken, so you are alice_2. Nothing is kept for guests; register with a password to have an account.',
    );
  });

  it('asks /history for the lines before the oldest shown, and remembers the last id for a login after a restart', () => {
    const v = view();
    expect(v.typed('/history 10')).to.deep.equal({ kind: 'send', message: { type: 'history', count: 10 } });
    v.received({ type: 'msg', id: 40, from: 'bob', ts: T, scope: 'group', text: 'old', replay: true });
    v.received({ type: 'msg', id: 42, from: 'bob', ts: T, scope: 'group', text: 'new' });
    v.received({ type: 'msg', id: 43, from: 'bob', to: 'alice', ts: T, scope: 'private', text: 'psst' });
    expect(v.typed('/history 10')).to.deep.equal({ kind: 'send', message: { type: 'history', count: 10, before: 40 } });
    expect(v.lastId).to.equal(43);
  });

  it('asks /history for the newest lines again once the screen was cleared, then goes on from there', () => {
    const v = view();
    v.received({ type: 'msg', id: 40, from: 'bob', ts: T, scope: 'group', text: 'old', replay: true });
    v.received({ type: 'msg', id: 42, from: 'bob', ts: T, scope: 'group', text: 'new' });
    expect(v.typed('/clear')).to.deep.equal({ kind: 'clear' });
    v.cleared();
    expect(v.typed('/history 10')).to.deep.equal({ kind: 'send', message: { type: 'history', count: 10 } });
    v.sent({ type: 'history', count: 10 });
    v.received({ type: 'msg', id: 40, from: 'bob', ts: T, scope: 'group', text: 'old', replay: true });
    v.received({ type: 'msg', id: 42, from: 'bob', ts: T, scope: 'group', text: 'new', replay: true });
    v.received({ type: 'notice', event: 'history', message: '2 older lines above; nothing older.', ts: T });
    expect(v.typed('/history 10')).to.deep.equal({ kind: 'send', message: { type: 'history', count: 10, before: 40 } });
    // A line said after the clear is the oldest shown: /history brings back what came before it.
    v.cleared();
    v.received({ type: 'msg', id: 44, from: 'bob', ts: T, scope: 'group', text: 'newer' });
    expect(v.typed('/history 10')).to.deep.equal({ kind: 'send', message: { type: 'history', count: 10, before: 44 } });
  });

  it('shows a /history refused while muted as one line, the error with its time to wait, not the notice that ends the page as well', () => {
    const v = view();
    expect(v.typed('/history').kind).to.equal('send');
    v.sent({ type: 'history', count: 50 });
    const error = v.received({ type: 'error', code: 'MUTED', message: 'you are muted for sending too fast; try again in 8 s', re: 'history' });
    expect(texts(error.lines)).to.deep.equal(['[12:00:01] ! you are muted for sending too fast; try again in 8 s']);
    const page = (message: string) => v.received({ type: 'notice', event: 'history', message, ts: T });
    expect(page('No history while you are muted: /history again once you can talk.').lines).to.deep.equal([]);
    // The next page's notice is shown again.
    expect(texts(page('3 older lines above; nothing older.').lines)).to.deep.equal(['[12:00:01] *** 3 older lines above; nothing older.']);
  });

  it('keeps a stray y or no to itself with a hint, and sends it as the answer while a request waits', () => {
    const v = view();
    expect(v.typed('y')).to.deep.equal({
      kind: 'show',
      lines: [{ style: 'error', text: '[12:00:01] ! no private chat request to answer; to send "y" anyway, type /say y', indent: 13, hangs: [11] }],
    });
    v.received(notice('pm_invite', 'bob'));
    // The answer names the request it answers (the oldest), so an encrypted one gets the right key.
    expect(v.typed('No')).to.deep.equal({ kind: 'send', message: { type: 'pm_answer', accept: false, from: 'bob' } });
    expect(v.typed(' YES ')).to.deep.equal({ kind: 'send', message: { type: 'pm_answer', accept: true, from: 'bob' } });
    v.received(notice('pm_refused', 'bob'));
    expect(v.typed('yes').kind).to.equal('show');
  });

  it('with two chat requests waiting, says how to answer each, sends no bare Y, and names the request a started chat cancelled', () => {
    const v = view();
    v.received(notice('pm_invite', 'bob'));
    expect(texts(v.requestsHint())).to.deep.equal([]);
    v.received(notice('pm_invite', 'carol'));
    expect(texts(v.requestsHint())).to.deep.equal([
      '[12:00:01] More than one request waits now; a bare Y/N will ask which. Answer each with:',
      "[12:00:01]   bob's private chat: /accept bob (or /reject bob)",
      "[12:00:01]   carol's private chat: /accept carol (or /reject carol)",
      '[12:00:01]   (One private chat at a time: accepting one cancels the other requests.)',
    ]);
    const y = v.typed('y');
    expect(y.kind).to.equal('show');
    expect(y.kind === 'show' && texts(y.lines)[0]).to.equal('[12:00:01] ! More than one request is waiting, so a bare Y/N could answer the wrong one. Answer one of them:');
    expect(v.typed('/accept carol')).to.deep.equal({ kind: 'send', message: { type: 'pm_answer', accept: true, from: 'carol' } });
    expect(texts(v.received(notice('pm_started', 'carol')).lines).at(-1)).to.equal('[12:00:01] The private chat request from bob was cancelled: one private chat at a time (bob was told).');
  });

  it('changes the prompt when a private chat starts and ends', () => {
    const v = view();
    expect(v.received(notice('pm_started', 'bob')).prompt).to.equal(true);
    expect(v.prompt).to.equal('alice (private: bob)> ');
    expect(v.received(notice('join', 'carol')).prompt).to.equal(false);
    expect(v.received(notice('pm_ended', 'bob')).prompt).to.equal(true);
    expect(v.prompt).to.equal('alice> ');
  });

  it('in a private chat, a bare exit or quit leaves nothing and says which command does what; /quit and LOGOUT still log out', () => {
    const v = view();
    expect(v.typed('exit')).to.deep.equal({ kind: 'logout' });
    v.received(notice('pm_started', 'bob'));
    const hint = { kind: 'show', lines: [{ style: 'error', text: '[12:00:01] ! you are in a private chat with bob: EXIT PM leaves it, /quit (or LOGOUT) logs out', indent: 13, hangs: [11] }] };
    expect(v.typed('exit')).to.deep.equal(hint);
    expect(v.typed(' QUIT ')).to.deep.equal(hint);
    expect(v.typed('EXIT PM')).to.deep.equal({ kind: 'send', message: { type: 'pm_exit' } });
    expect(v.typed('/quit')).to.deep.equal({ kind: 'logout' });
    expect(v.typed('logout')).to.deep.equal({ kind: 'logout' });
  });

  it('rings and highlights on a mention, and on a request', () => {
    const v = view();
    const mention = v.received(say('bob', 'alice: lunch?'));
    expect(mention.bell).to.equal(true);
    expect(mention.lines[0]!.mention).to.equal(true);
    expect(v.received(say('bob', 'lunch?')).bell).to.equal(false);
    expect(v.received(say('alice', 'alice here')).bell).to.equal(false);
    expect(v.received(notice('pm_invite', 'bob')).bell).to.equal(true);
    expect(v.received({ type: 'msg', id: 2, from: 'bob', ts: T, scope: 'private', text: 'psst' }).bell).to.equal(true);
  });

  it('rings for the name logged in with now, not one it had before', () => {
    const v = view();
    v.loggedIn({ type: 'login_ok', user: 'alice_2', created: false, guest: true, online: ['alice_2', 'bob'] }, 'relogin');
    expect(v.received(say('bob', 'hi alice_2')).bell).to.equal(true);
    const old = v.received(say('bob', 'hi alice'));
    expect(old.bell).to.equal(false);
    expect(old.lines[0]!.mention).to.equal(undefined);
  });

  it('shows a sent line the server refused as not delivered, in one line with the reason and its text, and not one it echoed', () => {
    const v = view();
    v.sent({ type: 'say', text: 'first' });
    v.sent({ type: 'say', text: 'second' });
    v.received(say('alice', 'first'));
    const refused = v.received({ type: 'error', code: 'MUTED', message: 'you are muted for sending too fast; try again in 9 s' });
    expect(texts(refused.lines)).to.deep.equal(['[12:00:01] ! not delivered (muted for sending too fast; try again in 9 s): second']);
    // A bare "y" sent with /say may be read by the server as an answer: no echo is waited for.
    v.sent({ type: 'say', text: 'y' });
    expect(texts(v.received({ type: 'error', code: 'MUTED', message: 'muted' }).lines)).to.deep.equal(['[12:00:01] ! muted']);
  });

  it("gives the server's reason for a refused line escaped, without saying \"not delivered\" twice", () => {
    const v = view();
    v.sent({ type: 'say', text: 'big' });
    v.sent({ type: 'dm', to: 'dave', text: 'psst' });
    v.sent({ type: 'say', text: 'third' });
    const big = v.received({ type: 'error', code: 'FRAME_TOO_LARGE', message: 'message too long: 70000 bytes, the limit is 65536; it was not delivered', re: 'say' });
    expect(texts(big.lines)).to.deep.equal(['[12:00:01] ! not delivered (message too long: 70000 bytes, the limit is 65536): big']);
    const kept = v.received({ type: 'error', code: 'MAILBOX_FAILED', message: 'dave is offline, and the server could not keep your message for them; it was not delivered: try again later', user: 'dave', re: 'dm' });
    expect(texts(kept.lines)).to.deep.equal(['[12:00:01] ! not delivered (dave is offline, and the server could not keep your message for them: try again later): psst']);
    v.sent({ type: 'say', text: 'fourth' });
    const paused = v.received({ type: 'error', code: 'CLUSTER_DOWN', message: 'not delivered: the chat is paused while this server reconnects to the cluster; try again in a moment', re: 'say' });
    expect(texts(paused.lines)).to.deep.equal(['[12:00:01] ! not delivered (the chat is paused while this server reconnects to the cluster; try again in a moment): third']);
    const odd = v.received({ type: 'error', code: 'BAD_TEXT', message: 'no\x1b[2J', re: 'say' });
    expect(texts(odd.lines)).to.deep.equal(['[12:00:01] ! not delivered (no\\x1b[2J): fourth']);
    // One that matches no line waiting is shown as it is.
    expect(texts(v.received({ type: 'error', code: 'MUTED', message: 'you are muted', re: 'say' }).lines)).to.deep.equal(['[12:00:01] ! you are muted']);
  });

  it('after a private message kept for an offline account, names the line a refusal is about', () => {
    const v = view();
    v.sent({ type: 'dm', to: 'robot', text: 'offline note' });
    v.sent({ type: 'say', text: 'c1' });
    v.sent({ type: 'say', text: 'c2' });
    // No echo will show the line kept: the notice does, as the echo would have.
    expect(texts(v.received(notice('offline_stored', 'robot')).lines)).to.deep.equal([
      '[12:00:01] *** offline_stored robot',
      '[12:00:01] [private] alice -> robot: offline note',
    ]);
    v.received(say('alice', 'c1'));
    const refused = v.received({ type: 'error', code: 'MUTED', message: 'muted' });
    expect(texts(refused.lines)).to.deep.equal(['[12:00:01] ! not delivered (muted): c2']);
  });

  it('shows a line kept for an offline account under its notice when the echo of the next line came first', () => {
    const v = view();
    v.sent({ type: 'dm', to: 'robot', text: 'offline note' });
    v.sent({ type: 'say', text: 'c1' });
    v.sent({ type: 'dm', to: 'nobody', text: 'lost' });
    v.received(say('alice', 'c1'));
    expect(texts(v.received({ type: 'error', code: 'NO_SUCH_USER', message: 'there is no account named nobody', user: 'nobody' }).lines)).to.deep.equal([
      '[12:00:01] ! not delivered (there is no account named nobody): lost',
    ]);
    expect(texts(v.received(notice('offline_stored', 'robot')).lines)).to.deep.equal([
      '[12:00:01] *** offline_stored robot',
      '[12:00:01] [private] alice -> robot: offline note',
    ]);
  });

  it('shows a kept /me as the action it was, to whom', () => {
    const v = view();
    v.sent({ type: 'dm', to: 'robot', text: 'waves', action: true });
    expect(texts(v.received(notice('offline_stored', 'robot')).lines)).to.deep.equal([
      '[12:00:01] *** offline_stored robot',
      '[12:00:01] [private] * alice -> robot waves',
    ]);
  });

  it('asks for each /history page once the page before it has come, so none is asked for twice', () => {
    const v = view();
    v.received({ type: 'msg', id: 50, from: 'bob', ts: T, scope: 'group', text: 'newest' });
    const first = v.typed('/history 3');
    expect(first).to.deep.equal({ kind: 'send', message: { type: 'history', count: 3, before: 50 } });
    v.sent({ type: 'history', count: 3, before: 50 });
    expect(v.typed('/history 3')).to.deep.equal({ kind: 'none' });
    expect(v.typed('/history')).to.deep.equal({ kind: 'none' });
    expect(v.historyWaiting).to.equal(true);
    for (const id of [47, 48, 49]) expect(v.received({ type: 'msg', id, from: 'bob', ts: T, scope: 'group', text: `l${id}`, replay: true }).send).to.equal(undefined);
    const page = (message: string) => v.received({ type: 'notice', event: 'history', message, ts: T });
    expect(page('3 older lines').send).to.deep.equal({ type: 'history', count: 3, before: 47 });
    v.sent({ type: 'history', count: 3, before: 47 });
    v.received({ type: 'msg', id: 44, from: 'bob', ts: T, scope: 'group', text: 'l44', replay: true });
    expect(page('1 older line').send).to.deep.equal({ type: 'history', count: 50, before: 44 });
    expect(v.historyWaiting).to.equal(false);
    v.sent({ type: 'history', count: 50, before: 44 });
    expect(page('Nothing older').send).to.equal(undefined);
    expect(v.typed('/history 3')).to.deep.equal({ kind: 'send', message: { type: 'history', count: 3, before: 44 } });
  });

  it('keeps at most 20 /history typed while a page is on its way, and says so of the 21st', () => {
    const v = view();
    v.received({ type: 'msg', id: 50, from: 'bob', ts: T, scope: 'group', text: 'newest' });
    expect(v.typed('/history 1').kind).to.equal('send');
    v.sent({ type: 'history', count: 1, before: 50 });
    for (let i = 0; i < 20; i++) expect(v.typed('/history 1')).to.deep.equal({ kind: 'none' });
    const refused = v.typed('/history 1');
    expect(refused.kind).to.equal('show');
    if (refused.kind !== 'show') return;
    expect(texts(refused.lines)).to.deep.equal(['[12:00:01] ! 20 /history pages are already waiting for the one on its way: this one was not asked for.']);
    // The 20 kept are asked for one by one, each after the page before it.
    const page = (message: string) => v.received({ type: 'notice', event: 'history', message, ts: T });
    let asked = 0;
    for (let i = 0; i < 21; i++) {
      const next = page('1 older line').send;
      if (!next) break;
      asked++;
      v.sent(next);
    }
    expect(asked).to.equal(20);
  });

  it('refuses a line longer than the server takes, in plain words, before sending it', () => {
    const v = view();
    expect(v.typed('é'.repeat(40_000)).kind).to.equal('send'); // no limit known: the server decides
    v.maxBody = 65_536;
    expect(v.typed('é'.repeat(35_000))).to.deep.equal({
      kind: 'show',
      lines: [{ style: 'error', text: '[12:00:01] ! message too long: 70,000 bytes, the limit is 65,536; not sent', indent: 13, hangs: [11] }],
    });
    expect(v.typed(`/msg bob ${'x'.repeat(65_537)}`).kind).to.equal('show');
    expect(v.typed('x'.repeat(65_536)).kind).to.equal('send');
  });

  it('refuses a line with a control character (piped in) before sending it: the server could not name the /msg it refuses', () => {
    const v = view();
    const refused = { kind: 'show', lines: [{ style: 'error', text: '[12:00:01] ! message text contains control characters (only newline and tab are allowed); not sent', indent: 13, hangs: [11] }] };
    expect(v.typed('/msg bob ring\x07')).to.deep.equal(refused);
    expect(v.typed('ring\x07 the bell')).to.deep.equal(refused);
    expect(v.typed('a\ttab is fine').kind).to.equal('send');
  });

  it('completes the names of others online, lists them once when Tab cannot choose, and puts each in the line on the next Tabs', () => {
    const v = view();
    expect(v.complete('al', 2)).to.equal(null); // alice is the user: not offered
    expect(v.complete('b', 1)).to.deep.equal({ text: 'bob', cursor: 3, lines: [{ style: 'info', text: '[12:00:01] bob  bobby', indent: 11 }] });
    expect(v.complete('bob', 3)).to.deep.equal({ text: 'bob: ', cursor: 5, lines: [] });
    expect(v.complete('bob: ', 5)).to.deep.equal({ text: 'bobby: ', cursor: 7, lines: [] });
    v.received(notice('leave', 'bobby'));
    expect(v.complete('bob', 3)).to.deep.equal({ text: 'bob: ', cursor: 5, lines: [] });
  });
  it('/help WORD shows that command, and says so when WORD names none', () => {
    const v = view();
    const shown = (line: string) => {
      const typed = v.typed(line);
      return typed.kind === 'show' ? texts(typed.lines) : typed.kind;
    };
    expect(shown('/help /who')).to.deep.equal(['[12:00:01]   /who  list who is online (and who is away, and why)']);
    expect(shown('/help nick')).to.deep.equal(['[12:00:01] ! no command or key "nick"; /help all lists every one']);
  });

  it('/help on 80 columns and 24 rows: one screen row a command, the whole page on one screen with room to spare', () => {
    const typed = view().typed('/help');
    if (typed.kind !== 'show') throw new Error(`/help: ${typed.kind}`);
    const shown = typed.lines.flatMap((l) => paint(l, 80, false));
    expect(shown).to.have.length(14);
    expect(shown.slice(0, 3)).to.deep.equal([
      '[12:00:01] The commands most used:',
      '[12:00:01]   @PM NAME         ask NAME for an encrypted private chat',
      '[12:00:01]   /plain NAME      ask NAME for a private chat that is NOT encrypted',
    ]);
    expect(shown.slice(-3)).to.deep.equal([
      '[12:00:01] Only a private chat started with @PM between tinychat clients is',
      '           end-to-end encrypted; /msg, @NAME and the group are not.',
      '[12:00:01] Type /help all for every command and key.',
    ]);
  });

  it('/help on 40 columns: a description that wraps goes on under the commands, where the second column would leave 10 columns', () => {
    const typed = view().typed('/help');
    if (typed.kind !== 'show') throw new Error(`/help: ${typed.kind}`);
    const shown = typed.lines.flatMap((l) => paint(l, 40, false));
    expect(shown.slice(1, 4)).to.deep.equal([
      '[12:00:01]   @PM NAME         ask NAME',
      '             for an encrypted private',
      '             chat',
    ]);
    const table = shown.slice(1, shown.findIndex((r) => r.includes('Only a private chat')));
    expect(table.filter((r) => r.startsWith(' ')).every((r) => /^ {13}\S/.test(r))).to.equal(true);
    // At 60 the second column leaves 30: the rows stay under it.
    expect(typed.lines.flatMap((l) => paint(l, 60, false)).slice(1, 3)).to.deep.equal([
      '[12:00:01]   @PM NAME         ask NAME for an encrypted',
      '                              private chat',
    ]);
  });

  it('/help all on 80 columns: a description that wraps goes on under its own column, so the table stays a table', () => {
    const shown = v80();
    const at = (row: string) => row.search(/\S/);
    const msgRow = shown.findIndex((r) => r.includes('/msg NAME TEXT'));
    const column = shown[msgRow]!.indexOf('send TEXT to NAME only');
    expect(column, 'the description column').to.be.greaterThan(40);
    expect(shown[msgRow + 1], 'its second row').to.match(/^ +message, NOT end-to-end encrypted\)$/);
    expect(at(shown[msgRow + 1]!)).to.equal(column);
    // Every row that continues a command or a key hangs under the descriptions, never under the time.
    let inTable = false;
    const misplaced = shown.filter((r) => {
      if (!r.startsWith(' ')) inTable = /^\[12:00:01\] {3}\S/.test(r);
      return inTable && r.startsWith(' ') && at(r) !== column;
    });
    expect(misplaced).to.deep.equal([]);
    // A line of prose (not a row of the table) wraps as any other.
    const prose = shown.findIndex((r) => r.includes('Only a private chat started with @PM'));
    expect(at(shown[prose + 1]!)).to.equal('[12:00:01] '.length);
  });
});

function v80(): string[] {
  const typed = view().typed('/help all');
  if (typed.kind !== 'show') throw new Error(`/help all: ${typed.kind}`);
  return typed.lines.flatMap((l) => paint(l, 80, false));
}
