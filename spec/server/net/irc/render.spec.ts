/**
 * The chat's messages as IRC lines, literal in and out: what an IRC user is shown for each
 * message the outbox delivers, and the numerics refusals become.
 */
import { expect } from 'chai';
import { chatError, errorMessage } from '../../../../common/errors.js';
import type { ServerMessage } from '../../../../common/protocol.js';
import { IrcPeer } from '../../../../server/net/irc/peer.js';
import { IRC_LINES_MAX, render } from '../../../../server/net/irc/render.js';

const CH = '#tinychat';

/** A peer logged in as `nick`, as the wire leaves it after login_ok. */
function loggedIn(nick: string): IrcPeer {
  const p = new IrcPeer();
  p.welcome(nick);
  p.loggedIn = true;
  return p;
}

const line = (fields: Partial<ServerMessage<'msg'>> & { text: string }): ServerMessage<'msg'> => ({ type: 'msg', id: 1, from: 'bob', ts: 0, scope: 'group', ...fields });
const notice = (fields: Partial<ServerMessage<'notice'>>): ServerMessage<'notice'> => ({ type: 'notice', event: 'join', message: '', ts: 0, ...fields });
const error = (code: string, message: string): ServerMessage<'error'> => ({ type: 'error', code, message });

describe('IRC render: the native commands a sentence names', () => {
  it('names the IRC way to page the history and to leave a private chat', () => {
    const alice = loggedIn('alice');
    expect(render(notice({ event: 'history', message: '20 older lines above; /history for more.' }), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :20 older lines above; /msg tinychat history for more.',
    ]);
    // Only the history's own sentences: others may say "/history" and mean something else.
    expect(render(notice({ event: 'wall', message: 'see example.org/history and /history' }), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :see example.org/history and /history',
    ]);
    expect(render(notice({ event: 'pm_ended', user: 'bob', message: 'Type EXIT PM to leave.' }), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :Send /msg tinychat exit to leave.',
    ]);
  });
});

describe('IRC render: chat lines', () => {
  it('shows a group line as PRIVMSG #channel from the sender, one per line of text', () => {
    expect(render(line({ text: 'hi\nall' }), loggedIn('alice'), CH)).to.deep.equal([
      ':bob!bob@tinychat PRIVMSG #tinychat :hi',
      ':bob!bob@tinychat PRIVMSG #tinychat :all',
    ]);
  });

  it('does not echo a line to its sender, unless the client asked for echo-message', () => {
    const alice = loggedIn('Alice');
    expect(render(line({ from: 'alice', text: 'mine' }), alice, CH), 'names are compared folded').to.deep.equal([]);
    alice.caps.add('echo-message');
    expect(render(line({ from: 'alice', text: 'mine' }), alice, CH)).to.deep.equal([':alice!alice@tinychat PRIVMSG #tinychat :mine']);
  });

  it('shows a private line as PRIVMSG to the recipient, and nothing on the sender side', () => {
    const msg = line({ scope: 'private', to: 'alice', text: 'psst' });
    expect(render(msg, loggedIn('alice'), CH)).to.deep.equal([':bob!bob@tinychat PRIVMSG alice :psst']);
    expect(render(msg, loggedIn('bob'), CH)).to.deep.equal([]);
  });

  it('follows the last offline message of a batch with a PING whose PONG is its receipt', () => {
    const alice = loggedIn('alice');
    const kept = line({ id: 7, scope: 'private', to: 'alice', text: 'hi', offline: true, ts: Date.UTC(2026, 11, 2, 14, 5) });
    expect(render({ ...kept, receipt: true }, alice, CH)).to.deep.equal([':bob!bob@tinychat PRIVMSG alice :[2026-12-02 14:05 UTC] hi', 'PING receipt-7']);
    expect(render(kept, alice, CH), 'not the last: no PING').to.deep.equal([':bob!bob@tinychat PRIVMSG alice :[2026-12-02 14:05 UTC] hi']);
  });

  it('shows no group line while the channel window is closed (after PART)', () => {
    const alice = loggedIn('alice');
    alice.joined = false;
    expect(render(line({ text: 'x' }), alice, CH)).to.deep.equal([]);
    expect(render(line({ scope: 'private', to: 'alice', text: 'still reachable' }), alice, CH)).to.have.length(1);
  });

  it('dates lines said before: a server-time tag if the client asked for it, else in the text; your own included', () => {
    const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
    const alice = loggedIn('alice');
    expect(render(line({ from: 'alice', text: 'earlier', ts, replay: true }), alice, CH)).to.deep.equal([':alice!alice@tinychat PRIVMSG #tinychat :[2026-01-02 03:04 UTC] earlier']);
    alice.caps.add('server-time');
    expect(render(line({ text: 'kept', ts, scope: 'private', to: 'alice', offline: true }), alice, CH)).to.deep.equal(['@time=2026-01-02T03:04:05.000Z :bob!bob@tinychat PRIVMSG alice :kept']);
  });
});

describe('IRC render: actions (/me)', () => {
  const act = (fields: Partial<ServerMessage<'msg'>>) => line({ text: 'dances', action: true, ...fields });

  it('shows an action as a CTCP ACTION, to the channel and in private, each line of it one', () => {
    expect(render(act({}), loggedIn('alice'), CH)).to.deep.equal([':bob!bob@tinychat PRIVMSG #tinychat :\u0001ACTION dances\u0001']);
    expect(render(act({ scope: 'private', to: 'alice' }), loggedIn('alice'), CH)).to.deep.equal([':bob!bob@tinychat PRIVMSG alice :\u0001ACTION dances\u0001']);
    expect(render(act({ text: 'dances\n\nsings' }), loggedIn('alice'), CH)).to.deep.equal([
      ':bob!bob@tinychat PRIVMSG #tinychat :\u0001ACTION dances\u0001',
      ':bob!bob@tinychat PRIVMSG #tinychat :\u0001ACTION sings\u0001',
    ]);
    const alice = loggedIn('alice');
    alice.caps.add('echo-message');
    expect(render(act({ from: 'alice' }), alice, CH), 'echoed').to.deep.equal([':alice!alice@tinychat PRIVMSG #tinychat :\u0001ACTION dances\u0001']);
  });

  it('shows an action said before as an ACTION too: from the history, kept while offline, with server-time or the time in the text', () => {
    const ts = Date.UTC(2026, 11, 2, 14, 5);
    const alice = loggedIn('alice');
    expect(render(act({ replay: true, ts }), alice, CH)).to.deep.equal([':bob!bob@tinychat PRIVMSG #tinychat :\u0001ACTION [2026-12-02 14:05 UTC] dances\u0001']);
    expect(render(act({ id: 7, scope: 'private', to: 'alice', offline: true, receipt: true, ts }), alice, CH)).to.deep.equal([
      ':bob!bob@tinychat PRIVMSG alice :\u0001ACTION [2026-12-02 14:05 UTC] dances\u0001',
      'PING receipt-7',
    ]);
    alice.caps.add('server-time');
    expect(render(act({ replay: true, ts }), alice, CH)).to.deep.equal(['@time=2026-12-02T14:05:00.000Z :bob!bob@tinychat PRIVMSG #tinychat :\u0001ACTION dances\u0001']);
  });

  it('cuts a long action in ACTIONs of at most 512 bytes each, losing nothing; a plain line keeps its \\x01 mended', () => {
    const text = `${'é'.repeat(300)}${'x'.repeat(600)}`;
    const lines = render(act({ text }), loggedIn('alice'), CH);
    const start = ':bob!bob@tinychat PRIVMSG #tinychat :\u0001ACTION ';
    expect(lines.length).to.be.greaterThan(2);
    for (const l of lines) {
      expect(Buffer.byteLength(`${l}\r\n`)).to.be.at.most(512);
      expect(l.startsWith(start) && l.endsWith('\u0001')).to.equal(true);
    }
    expect(lines.map((l) => l.slice(start.length, -1)).join('')).to.equal(text);
    expect(render(line({ text: '\u0001ACTION fake\u0001' }), loggedIn('alice'), CH), 'no action flag: no CTCP').to.deep.equal([':bob!bob@tinychat PRIVMSG #tinychat :\ufffdACTION fake\ufffd']);
  });
});

describe('IRC render: a message of many lines', () => {
  const note = (more: string) => `[${more} not shown: IRC shows ${IRC_LINES_MAX} lines of one message; a tinychat client shows it whole]`;

  it(`shows the first ${IRC_LINES_MAX} lines of a message, then a NOTICE from the server saying how many more there are`, () => {
    const lines = render(line({ text: 'a\n'.repeat(32767) }), loggedIn('alice'), CH);
    expect(lines).to.deep.equal([...Array(IRC_LINES_MAX).fill(':bob!bob@tinychat PRIVMSG #tinychat :a'), `:tinychat NOTICE #tinychat :${note('65,504 more bytes')}`]);
  });

  it('says when the last line shown was the start of a long one', () => {
    const alice = loggedIn('alice');
    const long = render(line({ scope: 'private', to: 'alice', text: 'x'.repeat(8_000) }), alice, CH);
    expect(long).to.have.length(IRC_LINES_MAX + 1);
    expect(long.at(-1)).to.equal(`:tinychat NOTICE alice :${note('the rest of this line')}`);
    const more = render(line({ text: `${'x'.repeat(8_000)}\nb\nc` }), alice, CH);
    expect(more.at(-1)).to.equal(`:tinychat NOTICE #tinychat :${note('the rest of this line and 2 more lines')}`);
    const longer = render(line({ text: `${'x'.repeat(65_000)}\nb` }), alice, CH);
    expect(longer.at(-1)).to.match(/^:tinychat NOTICE #tinychat :\[the rest of this line and more, [\d,]+ bytes, not shown: /);
  });

  it('keeps what one message costs within a few KiB, whatever it holds', () => {
    for (const text of ['a\n'.repeat(32767), 'x'.repeat(65_535), '\u{20000}\n'.repeat(16383), `${'é'.repeat(500)}\n`.repeat(65)]) {
      const lines = render(line({ text, replay: true, ts: 0 }), loggedIn('alice'), CH);
      expect(lines.length).to.be.at.most(IRC_LINES_MAX + 1);
      for (const l of lines) expect(Buffer.byteLength(`${l}\r\n`)).to.be.at.most(512);
    }
  });

  it('dates the NOTICE as the lines it follows, for a client that asked for server-time', () => {
    const alice = loggedIn('alice');
    alice.caps.add('server-time');
    const lines = render(line({ text: 'a\n'.repeat(20), replay: true, ts: Date.UTC(2026, 0, 2) }), alice, CH);
    expect(lines.at(-1)).to.equal(`@time=2026-01-02T00:00:00.000Z :tinychat NOTICE #tinychat :${note('5 more lines')}`);
  });

  it("shows the operator's own words whole: a message of the day of 20 lines, a presence summary past 15 lines' bytes", () => {
    const motd = Array.from({ length: 20 }, (_, i) => `rule ${i + 1}`).join('\n');
    const lines = render(notice({ event: 'motd', message: motd }), loggedIn('alice'), CH);
    expect(lines).to.have.length(20);
    expect(lines.at(-1)).to.equal(':tinychat!service@tinychat NOTICE alice :rule 20');
    const names = Array.from({ length: 1000 }, (_, i) => `user${i}`).join(', ');
    const summary = render(notice({ event: 'presence', message: `${names} joined; 1000 online` }), loggedIn('alice'), CH);
    expect(summary.length).to.be.greaterThan(IRC_LINES_MAX + 1);
    expect(summary.join('\n')).to.include('1000 online').and.to.not.include('not shown');
  });

  it('cuts a notice that quotes chat text the same way', () => {
    const lines = render(notice({ event: 'pm_undelivered', user: 'bob', message: `These private lines did not reach bob: "${'a\n'.repeat(100)}"` }), loggedIn('alice'), CH);
    expect(lines).to.have.length(IRC_LINES_MAX + 1);
    expect(lines.at(-1)).to.equal(`:tinychat NOTICE alice :${note('86 more lines')}`);
  });
});

describe('IRC render: notices', () => {
  const alice = loggedIn('alice');

  it('shows joins as JOIN, and logouts and offline marks as QUIT (they left the server, not only the channel)', () => {
    expect(render(notice({ event: 'join', user: 'bob', message: 'bob joined the chat' }), alice, CH)).to.deep.equal([':bob!bob@tinychat JOIN #tinychat']);
    expect(render(notice({ event: 'leave', user: 'bob', message: 'bob left the chat' }), alice, CH)).to.deep.equal([':bob!bob@tinychat QUIT :bob left the chat']);
    expect(render(notice({ event: 'offline', user: 'bob', message: 'bob went offline (no heartbeat for 20 s)' }), alice, CH)).to.deep.equal([
      ':bob!bob@tinychat QUIT :bob went offline (no heartbeat for 20 s)',
    ]);
  });

  it('tells a request as a NOTICE from tinychat saying how to answer, and a started session how to talk and leave', () => {
    expect(render(notice({ event: 'pm_invite', user: 'bob', message: 'bob wants a private chat with you (Y/N)?' }), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :bob wants a private chat with you. Answer /msg tinychat accept bob or /msg tinychat reject bob',
    ]);
    expect(render(notice({ event: 'pm_started', user: 'bob', message: 'x' }), alice, CH)[0]).to.equal(
      ':tinychat!service@tinychat NOTICE alice :You are now in a private chat with bob: /msg bob <text> talks to them; /msg tinychat exit leaves.',
    );
  });

  it('says away as IRC does: 306 and 305 for yourself, 301 with the message of someone you wrote to', () => {
    expect(render(notice({ event: 'away', message: 'You are marked as away: "lunch". Type /back when you are back.' }), alice, CH)).to.deep.equal([
      ':tinychat 306 alice :You have been marked as being away',
    ]);
    expect(render(notice({ event: 'back', message: 'Welcome back' }), alice, CH)).to.deep.equal([':tinychat 305 alice :You are no longer marked as being away']);
    expect(render(notice({ event: 'away', user: 'bob', message: 'bob is away: gone fishing' }), alice, CH)).to.deep.equal([
      ':tinychat 301 alice bob :gone fishing',
    ]);
  });

  it('says everything else the chat says as a NOTICE from tinychat, in IRC words', () => {
    expect(render(notice({ event: 'muted', message: 'You are sending too fast: muted for 10 s' }), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :You are sending too fast: muted for 10 s',
    ]);
    expect(render(error('PM_YOU_BUSY', 'you are already in a private chat with bob; type EXIT PM first'), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :you are already in a private chat with bob; send /msg tinychat exit first',
    ]);
  });
});

describe('IRC render: the welcome and the questions', () => {
  it('welcomes with 001-005 (ISUPPORT for these names), the MOTD, the JOIN, the topic and the names', () => {
    const p = new IrcPeer();
    p.welcome('Mücahit');
    const lines = render({ type: 'login_ok', user: 'Mücahit', created: true, guest: false, online: ['bob', 'Mücahit'], count: 2 }, p, CH);
    expect(lines.slice(0, 4).map((l) => l.split(' ').slice(0, 3).join(' '))).to.deep.equal([':tinychat 001 Mücahit', ':tinychat 002 Mücahit', ':tinychat 003 Mücahit', ':tinychat 004 Mücahit']);
    const isupport = lines[4]!.split(' ');
    for (const token of ['CASEMAPPING=ascii', 'NICKLEN=32', 'CHANTYPES=#', 'NETWORK=tinychat', 'UTF8ONLY']) expect(isupport).to.include(token);
    expect(lines.some((l) => / 37[56] /.test(l))).to.equal(true);
    expect(lines.slice(-4)).to.deep.equal([
      ':Mücahit!Mücahit@tinychat JOIN #tinychat',
      ':tinychat 332 Mücahit #tinychat :Everyone online is here. Private chats: /msg tinychat help',
      ':tinychat 353 Mücahit = #tinychat :bob Mücahit',
      ':tinychat 366 Mücahit #tinychat :End of /NAMES list.',
    ]);
    expect(lines.some((l) => l.includes('New account Mücahit created'))).to.equal(true);
    expect(lines.some((l) => l.includes('guest'))).to.equal(false);
  });

  it('tells a guest so at login, and how to have the nick as an account', () => {
    const p = new IrcPeer();
    p.welcome('zed');
    const lines = render({ type: 'login_ok', user: 'zed', created: false, guest: true, online: ['zed'], count: 1 }, p, CH);
    expect(lines).to.include(':tinychat!service@tinychat NOTICE zed :You are a guest: nothing is kept for guests. To have zed as your account, connect with a password (PASS or SASL).');
  });

  it('answers a who as what was asked: NAMES, WHO, WHOIS (or 401), ISON', () => {
    const alice = loggedIn('alice');
    const who: ServerMessage<'who'> = { type: 'who', online: ['alice', 'Bob'], count: 2 };
    expect(render(who, alice, CH, { kind: 'names' })).to.deep.equal([':tinychat 353 alice = #tinychat :alice Bob', ':tinychat 366 alice #tinychat :End of /NAMES list.']);
    expect(render(who, alice, CH, { kind: 'who', mask: 'bob' })).to.deep.equal([
      ':tinychat 352 alice #tinychat Bob tinychat tinychat Bob H :0 Bob',
      ':tinychat 315 alice bob :End of /WHO list.',
    ]);
    expect(render(who, alice, CH, { kind: 'whois', nick: 'BOB' }).map((l) => l.split(' ')[1])).to.deep.equal(['311', '319', '312', '318']);
    expect(render(who, alice, CH, { kind: 'whois', nick: 'carol' })).to.deep.equal([
      ':tinychat 401 alice carol :No such nick',
      ':tinychat 318 alice carol :End of /WHOIS list.',
    ]);
    expect(render(who, alice, CH, { kind: 'ison', nicks: ['bob', 'carol'] })).to.deep.equal([':tinychat 303 alice Bob']);
  });

  it('lists a thousand names in 353 lines that each fit 512 bytes', () => {
    const online = Array.from({ length: 1000 }, (_, i) => `user${i}`);
    const lines = render({ type: 'who', online, count: 1000 }, loggedIn('alice'), CH, { kind: 'names' });
    for (const l of lines) expect(Buffer.byteLength(`${l}\r\n`)).to.be.at.most(512);
    expect(lines.slice(0, -1).flatMap((l) => l.split(' :')[1]!.split(' '))).to.deep.equal(online);
  });
});

describe('IRC render: refusals', () => {
  it('answers a refused login with the numeric IRC clients know, and closes when the client cannot try again', () => {
    const p = new IrcPeer();
    p.wanted = 'alice';
    p.nick = 'alice';
    p.via = 'pass';
    expect(render(error('ALREADY_LOGGED_IN', 'alice is already logged in'), p, CH)).to.deep.equal([':tinychat 433 alice alice :Nickname is already in use: alice is already logged in']);
    p.pass = 'secret';
    expect(render(error('ALREADY_LOGGED_IN', 'alice is already logged in'), p, CH)[0]).to.match(/ \(your password was for alice only\)$/);
    expect(render(error('BAD_NAME', 'invalid username: use ...'), p, CH)[0]).to.match(/^:tinychat 432 alice alice :Erroneous nickname/);
    const inUse = render(error('NAME_IN_USE', 'alice is a registered account; give its password, or pick another name'), p, CH);
    expect(inUse, 'a valid name in use: 433, and the client may try another nick').to.deep.equal([
      ':tinychat 433 alice alice :Nickname is already in use: alice is a registered account; give its password, or pick another name (your password was for alice only)',
    ]);
    expect(render(error('BAD_PASSWORD', 'wrong password'), p, CH)).to.deep.equal([':tinychat 464 alice :Password incorrect', 'ERROR :Closing link: wrong password']);
    expect(render(error('GUESTS_DISABLED', 'x'), p, CH)[0]).to.match(/^:tinychat 464 alice :Guest logins are disabled on this server: give your password/);
    p.via = 'sasl';
    expect(render(error('BAD_PASSWORD', 'wrong password'), p, CH)).to.deep.equal([':tinychat 904 alice :SASL authentication failed: wrong password']);
  });

  it('says over-long lines with 417, the deadline with ERROR, a missing nick with 401 (the nick the refusal names)', () => {
    const alice = loggedIn('alice');
    expect(render(error('FRAME_TOO_LARGE', 'message too long: 600 bytes, the limit is 512; it was not delivered'), alice, CH)[0]).to.match(/^:tinychat 417 alice :message too long/);
    expect(render(error('LOGIN_TIMEOUT', 'no login within the time allowed'), new IrcPeer(), CH)).to.deep.equal(['ERROR :Closing link: no login within the time allowed']);
    expect(render({ ...error('NO_SUCH_USER', 'carol is not online'), user: 'carol' }, alice, CH)).to.deep.equal([':tinychat 401 alice carol :carol is not online']);
    expect(render(errorMessage(chatError('NO_SUCH_USER', 'Dave', true), { user: 'Dave' }), alice, CH)).to.deep.equal([':tinychat 401 alice Dave :there is no account named Dave']);
  });

  it('says a refused service command (PM to someone not online) as a NOTICE from the service, not a 401 about the nick', () => {
    const alice = loggedIn('alice');
    // irssi shows a 401 as "carol: No such nick/channel", in carol's window, without the reason.
    expect(render(errorMessage(chatError('NO_SUCH_USER', 'carol'), { re: 'pm_request', user: 'carol' }), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :carol is not online',
    ]);
    expect(render(errorMessage(chatError('NO_SUCH_USER', 'carol'), { re: 'pm_answer', user: 'carol' }), alice, CH)).to.deep.equal([
      ':tinychat!service@tinychat NOTICE alice :carol is not online',
    ]);
    expect(render(errorMessage(chatError('NO_SUCH_USER', 'Dave', true), { re: 'dm', user: 'Dave' }), alice, CH)).to.deep.equal([':tinychat 401 alice Dave :there is no account named Dave']);
  });

  it('answers nothing while a NOTICE is being handled', () => {
    const alice = loggedIn('alice');
    alice.quiet = true;
    expect(render(error('NO_SUCH_USER', 'carol is not online'), alice, CH)).to.deep.equal([]);
    expect(render(error('MUTED', 'you are muted'), alice, CH)).to.deep.equal([]);
  });

  it('says a goodbye as ERROR', () => {
    expect(render({ type: 'bye', reason: 'offline', message: 'You were marked offline' }, loggedIn('alice'), CH)).to.deep.equal(['ERROR :You were marked offline']);
  });
});
