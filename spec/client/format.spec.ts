import { expect } from 'chai';
import { Formatter, chatLines, localTime, nameList } from '../../client/format.js';
import { paint } from '../../client/paint.js';
import type { ServerMessage } from '../../common/protocol.js';

/** A fixed clock face: every stamp reads as the UTC time of the message. */
const utc = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const T = Date.UTC(2026, 0, 1, 12, 0, 1);
const fmt = new Formatter(utc, () => Date.UTC(2026, 0, 1, 12, 30, 0));
const texts = (m: ServerMessage) => fmt.message(m).map((l) => l.text);

describe('client/format', () => {
  it('shows a group line with the server time and the sender', () => {
    expect(texts({ type: 'msg', id: 1, from: 'alice', ts: T, scope: 'group', text: 'hello' })).to.deep.equal(['[12:00:01] alice: hello']);
  });

  it('marks private lines and names both ends, and says where the sender\'s name is', () => {
    const lines = fmt.message({ type: 'msg', id: 1, from: 'alice', to: 'bob', ts: T, scope: 'private', text: 'hi' });
    expect(lines).to.deep.equal([
      { style: 'private', text: '[12:00:01] [private] alice -> bob: hi', indent: 35, hangs: [21, 11], sender: { at: 21, name: 'alice' } },
    ]);
  });

  it('shows the further lines of a multi-line message where its rows hang, and says where that is', () => {
    const lines = fmt.message({ type: 'msg', id: 1, from: 'bob', ts: T, scope: 'group', text: 'one\ntwo\n\n' });
    expect(lines.map((l) => [l.text, l.indent, l.further])).to.deep.equal([
      ['[12:00:01] bob: one', 16, undefined],
      ['two', 16, true],
    ]);
  });

  it('shows a long run of blanks as a mark, and runs of empty lines as one', () => {
    expect(chatLines(`aaa${' '.repeat(60)}[10:32:30] alice: hi`)).to.deep.equal(['aaa ␣×60 [10:32:30] alice: hi']);
    expect(chatLines(`a${' '.repeat(16)}b`)).to.deep.equal([`a${' '.repeat(16)}b`]);
    expect(chatLines('a\n\n\n\n  \nb\n\n')).to.deep.equal(['a', '', 'b']);
    expect(chatLines('\n\nx')).to.deep.equal(['x']);
    expect(chatLines('code:\n    indented\n\tand a tab')).to.deep.equal(['code:', '    indented', '    and a tab']);
  });

  it('marks a group line that mentions the user, not their own lines nor other words', () => {
    const me = new Formatter(utc, () => T);
    me.setMe('alice');
    const line = (from: string, text: string, scope: 'group' | 'private' = 'group') =>
      me.message({ type: 'msg', id: 1, from, ts: T, scope, text })[0]!.mention === true;
    expect(line('bob', 'hi Alice, look')).to.equal(true);
    expect(line('bob', 'malice aforethought')).to.equal(false);
    expect(line('ALICE', 'alice here')).to.equal(false);
    expect(line('bob', 'alice', 'private')).to.equal(false); // private lines have a style of their own
  });

  it('shows escape sequences, CR, NUL, bell and bidi overrides as visible escapes', () => {
    const text = 'a\x1b[2Jb\rc\x00d\x07e\u202ef\u009bg';
    expect(texts({ type: 'msg', id: 1, from: 'mallory', ts: T, scope: 'group', text })).to.deep.equal([
      '[12:00:01] mallory: a\\x1b[2Jb\\x0dc\\x00d\\x07e\\u202ef\\x9bg',
    ]);
  });

  it('escapes names and notices too, and keeps them on one line', () => {
    const m: ServerMessage = { type: 'notice', event: 'join', message: 'x\nfake line\x1b]0;pwned\x07', ts: T, user: 'e\x1bvil', online: ['a\u202eb'] };
    expect(texts(m)).to.deep.equal(['[12:00:01] *** x\\nfake line\\x1b]0;pwned\\x07 (online: a\\u202eb)']);
    expect(texts({ type: 'msg', id: 1, from: 'ev\nil', ts: T, scope: 'private', to: 'b\x1b', text: 'ok' })).to.deep.equal([
      '[12:00:01] [private] ev\\nil -> b\\x1b: ok',
    ]);
  });

  it('shows each line of the message of the day as a line, indented under the first', () => {
    const lines = fmt.message({ type: 'notice', event: 'motd', message: 'Welcome to S2!\nBe nice.\x1b[2J', ts: T });
    expect(lines.map((l) => [l.text, l.indent])).to.deep.equal([
      ['[12:00:01] *** Welcome to S2!', 15],
      ['Be nice.\\x1b[2J', 15],
    ]);
  });

  it('shows notices with the online list when the server sends one', () => {
    const m: ServerMessage = { type: 'notice', event: 'join', message: 'bob joined the chat', ts: T, user: 'bob', online: ['alice', 'bob'] };
    expect(fmt.message(m)).to.deep.equal([{ style: 'notice', text: '[12:00:01] *** bob joined the chat (online: alice, bob)', indent: 15, hangs: [11] }]);
    expect(texts({ type: 'notice', event: 'pm_invite', message: 'alice wants a private chat with you (Y/N)?', ts: T })).to.deep.equal([
      '[12:00:01] *** alice wants a private chat with you (Y/N)?',
    ]);
  });

  it('stamps errors, /who answers and goodbyes with the local time', () => {
    expect(fmt.message({ type: 'error', code: 'NO_SUCH_USER', message: 'zed is not online' })).to.deep.equal([
      { style: 'error', text: '[12:30:00] ! zed is not online', indent: 13, hangs: [11] },
    ]);
    expect(texts({ type: 'who', online: ['alice', 'bob'] })).to.deep.equal(['[12:30:00] *** Online (2): alice, bob']);
    expect(texts({ type: 'bye', reason: 'logout', message: 'Goodbye, alice!' })).to.deep.equal(['[12:30:00] *** Goodbye, alice!']);
    expect(texts({ type: 'hello', server: 'tinychat', version: '1', guests: false })).to.deep.equal([]);
  });

  it('cuts long online lists and counts users the server did not list', () => {
    const names = Array.from({ length: 25 }, (_, i) => `u${i}`);
    expect(nameList(names)).to.equal(`${names.slice(0, 20).join(', ')}, … and 5 more`);
    expect(texts({ type: 'who', online: ['a', 'b'], count: 5000 })).to.deep.equal(['[12:30:00] *** Online (5000): a, b, … and 4998 more']);
    expect(fmt.online([], 3).text).to.equal('[12:30:00] *** Online (3)');
  });

  it('reports a line that could not be sent, escaped', () => {
    expect(fmt.notDelivered('hi\x1b[31m', 'not connected')).to.deep.equal({
      style: 'error',
      text: '[12:30:00] ! not delivered (not connected): hi\\x1b[31m',
      indent: 13,
      hangs: [11],
    });
  });

  it('quotes at most 200 characters of a line that was not delivered', () => {
    const text = fmt.notDelivered('é'.repeat(70_000), 'muted').text;
    expect(text).to.equal(`[12:30:00] ! not delivered (muted): ${'é'.repeat(200)}…`);
  });

  it('marks lines from history on every line, in words, dimmed, with the date when not today', () => {
    const earlier = Date.UTC(2025, 11, 31, 23, 59, 58);
    const dated = new Formatter(utc, () => T, (ms) => new Date(ms).toISOString().slice(0, 10));
    const today = dated.message({ type: 'msg', id: 7, from: 'bob', ts: T, scope: 'group', text: 'one\ntwo', replay: true });
    expect(today.map((l) => [l.text, l.style])).to.deep.equal([
      ['[12:00:01] (history) bob: one', 'history'],
      ['two', 'history'],
    ]);
    const before = dated.message({ type: 'msg', id: 6, from: 'bob', ts: earlier, scope: 'group', text: 'hi', replay: true });
    expect(before.map((l) => l.text)).to.deep.equal(['[2025-12-31 23:59:58] (history) bob: hi']);
    const kept = dated.message({ type: 'msg', id: 8, from: 'carol', to: 'alice', ts: earlier, scope: 'private', text: 'call me', offline: true });
    expect(kept.map((l) => l.text)).to.deep.equal(['[2025-12-31 23:59:58] (while you were away) [private] carol -> alice: call me']);
  });

  it("marks the server's voice apart from actions: a user cannot make a line that reads as a notice, and a wall says it is the operator's", () => {
    // A user named Server types "/me is shutting down"; the server says it is shutting down.
    const spoof = texts({ type: 'msg', id: 1, from: 'Server', ts: T, scope: 'group', text: 'is shutting down', action: true });
    const real = texts({ type: 'bye', reason: 'shutdown', message: 'Server is shutting down' });
    expect(spoof).to.deep.equal(['[12:00:01] * Server is shutting down']);
    expect(real).to.deep.equal(['[12:30:00] *** Server is shutting down']);
    expect(texts({ type: 'notice', event: 'wall', message: 'Maintenance at noon', ts: T })).to.deep.equal(['[12:00:01] *** Operator: Maintenance at noon']);
  });

  it('shows an action as "* alice waves", and who is away in /who', () => {
    const action = fmt.message({ type: 'msg', id: 1, from: 'alice', ts: T, scope: 'group', text: 'waves', action: true });
    expect(action).to.deep.equal([{ style: 'chat', text: '[12:00:01] * alice waves', indent: 19, hangs: [11], sender: { at: 13, name: 'alice' } }]);
    expect(texts({ type: 'who', online: ['alice', 'bob', 'carol'], count: 3, away: ['bob', 'carol'], awayMessages: ['gone fishing', 'lunch\u001b[2J'] })).to.deep.equal([
      '[12:30:00] *** Online (3): alice, bob, carol',
      '[12:30:00] *** Away: bob (gone fishing), carol (lunch\\x1b[2J)',
    ]);
    // From a server that sends no messages: the names alone.
    expect(texts({ type: 'who', online: ['alice', 'bob'], count: 2, away: ['bob'] })).to.deep.equal([
      '[12:30:00] *** Online (2): alice, bob',
      '[12:30:00] *** Away: bob',
    ]);
  });

  it('hangs wrapped rows under the text within a third of the width, else under the name, the stamp, or at 4 (80 and 40 columns)', () => {
    const now = Date.UTC(2026, 0, 1, 22, 31, 21);
    const f = new Formatter(utc, () => now, (ms) => new Date(ms).toISOString().slice(0, 10));
    const text = 'see https://example.com/a/very/long/path/that/goes/on/and/on for the details';
    const rows = (width: number, ...ms: ServerMessage[]) => ms.flatMap((m) => f.message(m)).flatMap((l) => paint(l, width, false));
    const live: ServerMessage = { type: 'msg', id: 1, from: 'alice', ts: now, scope: 'group', text };
    const history: ServerMessage = { ...live, replay: true };
    const away: ServerMessage = { type: 'msg', id: 2, from: 'carol', to: 'alice', ts: now, scope: 'private', text, offline: true };
    const priv: ServerMessage = { type: 'msg', id: 3, from: 'alice', to: 'bob', ts: now, scope: 'private', text };
    const earlier = Date.UTC(2025, 11, 31, 23, 59, 58);
    const dated: ServerMessage = { type: 'msg', id: 4, from: 'bob', ts: earlier, scope: 'group', text: 'one two three four five six\nseven eight nine ten eleven twelve', replay: true };
    expect(rows(80, live, history, away, priv, dated)).to.deep.equal([
      '[22:31:21] alice: see https://example.com/a/very/long/path/that/goes/on/and/on',
      '                  for the details',
      '[22:31:21] (history) alice: see',
      '                     https://example.com/a/very/long/path/that/goes/on/and/on',
      '                     for the details',
      '[22:31:21] (while you were away) [private] carol -> alice: see',
      '           https://example.com/a/very/long/path/that/goes/on/and/on for the',
      '           details',
      '[22:31:21] [private] alice -> bob: see',
      '                     https://example.com/a/very/long/path/that/goes/on/and/on',
      '                     for the details',
      '[2025-12-31 23:59:58] (history) bob: one two three four five six',
      '                      seven eight nine ten eleven twelve',
    ]);
    expect(rows(40, live, history, away, dated)).to.deep.equal([
      '[22:31:21] alice: see https://example.co',
      '           m/a/very/long/path/that/goes/',
      '           on/and/on for the details',
      '[22:31:21] (history) alice: see https://',
      '           example.com/a/very/long/path/',
      '           that/goes/on/and/on for the',
      '           details',
      '[22:31:21] (while you were away)',
      '           [private] carol -> alice: see',
      '           https://example.com/a/very/lo',
      '           ng/path/that/goes/on/and/on',
      '           for the details',
      '[2025-12-31 23:59:58] (history) bob: one',
      '    two three four five six',
      '    seven eight nine ten eleven twelve',
    ]);
    // Errors and notices hang under their text while it is within a third, then after the stamp.
    const notice: ServerMessage = { type: 'notice', event: 'join', message: 'bob joined the chat', ts: now, user: 'bob', online: ['alice', 'bob', 'carol', 'dave'] };
    expect(rows(40, notice)).to.deep.equal(['[22:31:21] *** bob joined the chat', '           (online: alice, bob, carol,', '           dave)']);
    expect(paint(f.error('you are muted for sending too fast; try again in 10 s'), 40, false)).to.deep.equal([
      '[22:31:21] ! you are muted for sending',
      '             too fast; try again in 10 s',
    ]);
  });

  it('formats local time as HH:MM:SS', () => {
    expect(localTime(new Date(2026, 0, 1, 9, 5, 7).getTime())).to.equal('09:05:07');
  });
});
