/**
 * The IRC command table with literal lines: what each command becomes (a typed message for the
 * dispatcher, an IRC reply, a strike), and what registration and SASL do to the connection's
 * IRC state. No sockets, no server.
 */
import { expect } from 'chai';
import { ChatError } from '../../../../common/errors.js';
import { PROTOCOL_VERSION } from '../../../../common/protocol.js';
import { parseLine, type IrcMessage } from '../../../../server/net/irc/parse.js';
import { IrcPeer } from '../../../../server/net/irc/peer.js';
import type { Effect } from '../../../../server/net/irc/effects.js';
import { refused } from '../../../../server/net/irc/registration.js';
import { translate } from '../../../../server/net/irc/translate.js';

const ctx = { channel: '#tinychat', maxBody: 65536 };

function msg(line: string): IrcMessage {
  const m = parseLine(line);
  if (m instanceof ChatError) throw m;
  return m;
}

/** The effects of `lines`, one after the other, on `peer`. */
function run(peer: IrcPeer, ...lines: string[]): Effect[] {
  return lines.flatMap((l) => translate(peer, msg(l), ctx));
}

/** What the dispatcher would get. */
const sent = (effects: Effect[]) => effects.flatMap((e) => (e.do === 'send' || e.do === 'login' ? [e.msg] : []));
/** The IRC replies, as lines. */
const replies = (effects: Effect[]) => effects.flatMap((e) => (e.do === 'reply' ? e.lines : []));

function registered(nick = 'alice'): IrcPeer {
  const p = new IrcPeer();
  p.welcome(nick);
  p.loggedIn = true;
  return p;
}

describe('IRC translate: registration', () => {
  it('logs in with PASS, NICK and USER once all three are in, whatever their order', () => {
    const p = new IrcPeer();
    expect(run(p, 'NICK alice', 'PASS secret')).to.deep.equal([]);
    expect(run(p, 'USER alice 0 * :Alice')).to.deep.equal([{ do: 'login', msg: { type: 'login', user: 'alice', password: 'secret', features: ['receipts'] }, via: 'pass' }]);
  });

  it('asks for a guest login without PASS (the dispatcher decides whether guests may come)', () => {
    expect(sent(run(new IrcPeer(), 'USER x 0 * :x', 'NICK carol'))).to.deep.equal([{ type: 'login', user: 'carol', password: '', features: ['receipts'] }]);
  });

  it('waits for CAP END when the client negotiates capabilities', () => {
    const p = new IrcPeer();
    expect(replies(run(p, 'CAP LS 302'))).to.deep.equal([':tinychat CAP * LS :sasl=PLAIN echo-message server-time']);
    expect(run(p, 'NICK alice', 'USER alice 0 * :A', 'PASS pw')).to.deep.equal([]);
    expect(replies(run(p, 'CAP REQ :echo-message server-time'))).to.deep.equal([':tinychat CAP alice ACK :echo-message server-time']);
    expect(replies(run(p, 'CAP REQ :away-notify'))).to.deep.equal([':tinychat CAP alice NAK away-notify']);
    expect(sent(run(p, 'CAP END'))).to.deep.equal([{ type: 'login', user: 'alice', password: 'pw', features: ['receipts'] }]);
    expect([...p.caps]).to.deep.equal(['echo-message', 'server-time']);
  });

  it('takes SASL PLAIN in one piece or in 400-byte pieces, and logs in as the authcid at once', () => {
    const p = new IrcPeer();
    run(p, 'CAP LS 302', 'NICK alice', 'USER alice 0 * :A', 'CAP REQ :sasl');
    expect(replies(run(p, 'AUTHENTICATE PLAIN'))).to.deep.equal(['AUTHENTICATE +']);
    const b64 = Buffer.from('\0alice\0secret').toString('base64');
    expect(run(p, `AUTHENTICATE ${b64}`)).to.deep.equal([{ do: 'login', msg: { type: 'login', user: 'alice', password: 'secret', features: ['receipts'] }, via: 'sasl' }]);
    // A password long enough to need three pieces (the last one shorter than 400).
    const q = new IrcPeer();
    const long = Buffer.from(`alice\0alice\0${'p'.repeat(700)}`).toString('base64');
    run(q, 'AUTHENTICATE PLAIN');
    expect(run(q, `AUTHENTICATE ${long.slice(0, 400)}`, `AUTHENTICATE ${long.slice(400, 800)}`)).to.deep.equal([]);
    expect(sent(run(q, `AUTHENTICATE ${long.slice(800)}`))).to.deep.equal([{ type: 'login', user: 'alice', password: 'p'.repeat(700), features: ['receipts'] }]);
  });

  it('refuses other mechanisms, bad SASL messages and logging in as someone else with 904', () => {
    const codes = (p: IrcPeer, ...lines: string[]) => replies(run(p, ...lines)).map((l) => l.split(' ')[1]);
    expect(codes(new IrcPeer(), 'AUTHENTICATE EXTERNAL')).to.deep.equal(['908', '904']);
    expect(codes(new IrcPeer(), 'AUTHENTICATE PLAIN', 'AUTHENTICATE %%%%')).to.deep.equal(['+', '904']);
    const other = Buffer.from('bob\0alice\0pw').toString('base64');
    expect(codes(new IrcPeer(), 'AUTHENTICATE PLAIN', `AUTHENTICATE ${other}`)).to.deep.equal(['+', '904']);
    expect(codes(new IrcPeer(), 'AUTHENTICATE PLAIN', 'AUTHENTICATE *')).to.deep.equal(['+', '906']);
  });

  it('checks the nick with the product name rules at once (432), and keeps the service nick', () => {
    const code = (line: string) => replies(run(new IrcPeer(), line)).map((l) => l.split(' ').slice(1, 4).join(' '));
    expect(code('NICK pаypal'), 'a Cyrillic а in a Latin name').to.deep.equal(['432 * pаypal']);
    expect(code('NICK TinyChat')).to.deep.equal(['432 * TinyChat']);
    expect(code(`NICK ${'x'.repeat(33)}`)[0]).to.match(/^432/);
    expect(code('NICK')).to.deep.equal(['431 * :No']);
    expect(code('NICK Анна'), 'any one script').to.deep.equal([]);
  });

  it('answers what needs registration with 451 and a strike, and unknown commands with 421 and a strike', () => {
    const p = new IrcPeer();
    const effects = run(p, 'JOIN #tinychat', 'FROB x');
    expect(effects.map((e) => (e.do === 'reply' ? e.lines[0]!.split(' ')[1] : e.do))).to.deep.equal(['451', 'strike', '421', 'strike']);
    expect(run(p, 'PING :x', 'PONG :y', 'CAP LIST').some((e) => e.do === 'strike'), 'registration itself is no strike').to.equal(false);
  });

  it('answers missing parameters with 461, and a second registration with 462', () => {
    expect(replies(run(new IrcPeer(), 'USER alice'))).to.deep.equal([':tinychat 461 * USER :Not enough parameters']);
    const p = registered();
    p.userGiven = true;
    expect(replies(run(p, 'PASS x', 'USER a 0 * :a'))).to.deep.equal([
      ':tinychat 462 alice :You may not reregister',
      ':tinychat 462 alice :You may not reregister',
    ]);
  });

  it('takes NICK and USER once after a SASL login without complaint (irssi sends them after CAP END)', () => {
    const p = registered('erin');
    expect(run(p, 'CAP END', 'NICK erin', 'USER root root 127.0.0.1 :root')).to.deep.equal([]);
    expect(replies(run(p, 'USER again 0 * :x'))[0]).to.match(/ 462 /);
  });

  it('closes after a refused login only when IRC leaves the client no other try', () => {
    const p = new IrcPeer();
    p.via = 'pass';
    p.lastError = 'BAD_PASSWORD';
    expect(refused(p)).to.deep.equal([{ do: 'close', reason: 'login refused (BAD_PASSWORD)' }]);
    p.via = 'pass';
    p.pass = 'secret';
    p.lastError = 'ALREADY_LOGGED_IN';
    expect(refused(p), 'NICK another').to.deep.equal([]);
    expect(p.pass, "not another nick's password").to.equal(null);
    p.via = 'sasl';
    p.lastError = 'BAD_PASSWORD';
    expect(refused(p), 'AUTHENTICATE again, or CAP END').to.deep.equal([]);
  });
});

describe('IRC translate: talking', () => {
  it('makes a channel line a group say and a line to a nick a dm, checked like native frames', () => {
    const p = registered();
    expect(sent(run(p, 'PRIVMSG #TinyChat :hello all'))).to.deep.equal([{ type: 'say', group: true, text: 'hello all' }]);
    expect(sent(run(p, 'PRIVMSG bob :hi bob'))).to.deep.equal([{ type: 'dm', to: 'bob', text: 'hi bob' }]);
    const refusal = run(p, 'PRIVMSG bob :a\u0007bell')[0];
    expect(refusal).to.have.property('do', 'refuse');
    expect((refusal as { error: ChatError }).error.code).to.equal('BAD_TEXT');
  });

  it('sends a NOTICE the same way, marked quiet, and answers nothing to it', () => {
    const p = registered();
    expect(run(p, 'NOTICE #tinychat :note')).to.deep.equal([{ do: 'send', msg: { type: 'say', group: true, text: 'note' }, quiet: true }]);
    expect(run(p, 'NOTICE #elsewhere :x', 'NOTICE tinychat :help', 'NOTICE bob :\u0007', 'NOTICE bob', 'NOTICE a,b :x')).to.deep.equal([]);
  });

  it('refuses other channels (403), several targets (407), no text (412), and a closed window (404)', () => {
    const p = registered();
    const codes = (...lines: string[]) => replies(run(p, ...lines)).map((l) => l.split(' ')[1]);
    expect(codes('PRIVMSG #other :x', 'PRIVMSG a,b :x', 'PRIVMSG bob :', 'PRIVMSG bob', 'PRIVMSG')).to.deep.equal(['403', '407', '412', '412', '411']);
    p.joined = false;
    expect(codes('PRIVMSG #tinychat :x')).to.deep.equal(['404']);
  });

  it('strips IRC formatting', () => {
    const p = registered();
    expect(sent(run(p, 'PRIVMSG #tinychat :\u0002bold\u0002 \u000304,12red\u0003 \u001ditalic\u000f'))).to.deep.equal([{ type: 'say', group: true, text: 'bold red italic' }]);
  });

  it('takes the service commands: PM, accept, reject, Y/N, exit, help', () => {
    const p = registered();
    expect(sent(run(p, 'PRIVMSG tinychat :PM bob', 'PRIVMSG TinyChat :accept carol', 'PRIVMSG tinychat :reject dave', 'PRIVMSG tinychat :y', 'PRIVMSG tinychat :No', 'PRIVMSG tinychat :exit', 'PRIVMSG tinychat :EXIT PM'))).to.deep.equal([
      { type: 'pm_request', to: 'bob' },
      { type: 'pm_answer', accept: true, from: 'carol' },
      { type: 'pm_answer', accept: false, from: 'dave' },
      { type: 'pm_answer', accept: true },
      { type: 'pm_answer', accept: false },
      { type: 'pm_exit' },
      { type: 'pm_exit' },
    ]);
    expect(replies(run(p, 'PRIVMSG tinychat :help'))[0]).to.equal(':tinychat!service@tinychat NOTICE alice :Commands, sent as /msg tinychat <command>:');
    expect(replies(run(p, 'PRIVMSG tinychat :dance'))[0]).to.match(/Not a command: "dance"/);
    for (const [bad, usage] of [['PM', 'PM <nick>'], ['pm bob carol', 'PM <nick>'], ['exit now', 'EXIT']] as const) {
      const effects = run(p, `PRIVMSG tinychat :${bad}`);
      expect(sent(effects), bad).to.deep.equal([]);
      expect(replies(effects), bad).to.deep.equal([`:tinychat!service@tinychat NOTICE alice :Not understood: "${bad}". Use ${usage}.`]);
    }
  });

  it('makes QUIT a logout once logged in, and just a goodbye before', () => {
    expect(sent(run(registered(), 'QUIT :bye'))).to.deep.equal([{ type: 'logout' }]);
    expect(run(new IrcPeer(), 'QUIT')).to.deep.equal([{ do: 'reply', lines: ['ERROR :Closing link: quit'] }, { do: 'close', reason: 'quit' }]);
  });
});

describe('IRC translate: CTCP', () => {
  it('takes /me (CTCP ACTION) as an action line, to the channel or to a nick, with or without its closing \\x01', () => {
    const p = registered();
    expect(sent(run(p, 'PRIVMSG #tinychat :\u0001ACTION waves\u0001', 'PRIVMSG bob :\u0001ACTION waves back\u0001'))).to.deep.equal([
      { type: 'say', group: true, action: true, text: 'waves' },
      { type: 'dm', to: 'bob', action: true, text: 'waves back' },
    ]);
    expect(sent(run(p, 'PRIVMSG #tinychat :\u0001ACTION waves', 'PRIVMSG bob :\u0001action \u0002waves\u0002\u0001')), 'no closing \\x01; lower case, bold').to.deep.equal([
      { type: 'say', group: true, action: true, text: 'waves' },
      { type: 'dm', to: 'bob', action: true, text: 'waves' },
    ]);
    expect(run(p, 'NOTICE #tinychat :\u0001ACTION hums\u0001')).to.deep.equal([{ do: 'send', msg: { type: 'say', group: true, action: true, text: 'hums' }, quiet: true }]);
  });

  it('answers an empty action with 412, and an action to the service as no command', () => {
    const p = registered();
    const codes = (...lines: string[]) => replies(run(p, ...lines)).map((l) => l.split(' ')[1]);
    expect(codes('PRIVMSG #tinychat :\u0001ACTION\u0001', 'PRIVMSG bob :\u0001ACTION  \u0001', 'PRIVMSG bob :\u0001ACTION')).to.deep.equal(['412', '412', '412']);
    expect(replies(run(p, 'PRIVMSG tinychat :\u0001ACTION help\u0001'))[0]).to.equal(':tinychat!service@tinychat NOTICE alice :Not a command: "* help".');
  });

  it('drops any other CTCP to a nick or the channel: no chat line, no answer', () => {
    const p = registered();
    expect(run(p, 'PRIVMSG bob :\u0001VERSION\u0001', 'PRIVMSG bob :\u0001PING 123\u0001', 'PRIVMSG #tinychat :\u0001DCC SEND x 1 2 3\u0001', 'PRIVMSG #other :\u0001TIME', 'PRIVMSG bob :\u0001\u0001')).to.deep.equal([]);
  });

  it('answers VERSION, PING and CLIENTINFO sent to the service (the server) with a CTCP NOTICE; nothing else, and nothing to a NOTICE', () => {
    const p = registered();
    const answers = (line: string) => replies(run(p, line));
    const from = ':tinychat!service@tinychat NOTICE alice :';
    expect(answers('PRIVMSG tinychat :\u0001VERSION\u0001')).to.deep.equal([`${from}\u0001VERSION tinychat (protocol ${PROTOCOL_VERSION})\u0001`]);
    expect(answers('PRIVMSG TinyChat :\u0001PING 1733270000 123456\u0001')).to.deep.equal([`${from}\u0001PING 1733270000 123456\u0001`]);
    expect(answers('PRIVMSG tinychat :\u0001ping'), 'no token, no closing \\x01').to.deep.equal([`${from}\u0001PING\u0001`]);
    expect(answers('PRIVMSG tinychat :\u0001PING a\u0007b\u0001'), 'a control in the token is mended').to.deep.equal([`${from}\u0001PING a\ufffdb\u0001`]);
    expect(answers('PRIVMSG tinychat :\u0001CLIENTINFO\u0001')).to.deep.equal([`${from}\u0001CLIENTINFO ACTION CLIENTINFO PING VERSION\u0001`]);
    expect(run(p, 'PRIVMSG tinychat :\u0001TIME\u0001', 'PRIVMSG tinychat :\u0001DCC SEND x 1 2 3\u0001', 'NOTICE tinychat :\u0001VERSION\u0001', 'NOTICE tinychat :\u0001VERSION irssi\u0001')).to.deep.equal([]);
  });
});

describe('IRC translate: the channel and the questions', () => {
  it('asks who for NAMES, WHO, WHOIS, ISON and LIST, noting what the answer is for', () => {
    const p = registered();
    const asks = run(p, 'NAMES', 'WHO #tinychat', 'WHO bob', 'WHOIS bob', 'ISON bob carol', 'LIST').map((e) => (e.do === 'send' ? [e.msg.type, e.ask] : e.do));
    expect(asks).to.deep.equal([
      ['who', { kind: 'names' }],
      ['who', { kind: 'who', mask: '#tinychat' }],
      ['who', { kind: 'who', mask: 'bob' }],
      ['who', { kind: 'whois', nick: 'bob' }],
      ['who', { kind: 'ison', nicks: ['bob', 'carol'] }],
      ['who', { kind: 'list' }],
    ]);
  });

  it('keeps at most a few questions waiting (263 past them)', () => {
    const p = registered();
    for (let i = 0; i < 8; i++) p.asked.push({ kind: 'names' });
    expect(replies(run(p, 'NAMES'))).to.deep.equal([':tinychat 263 alice NAMES :Please wait a while and try again.']);
  });

  it('answers MODE and TOPIC read only, and refuses other channels with a 403 naming the room, whatever the command', () => {
    const p = registered();
    expect(replies(run(p, 'MODE #tinychat', 'MODE #tinychat b', 'MODE #tinychat +o bob', 'MODE alice', 'MODE bob', 'TOPIC #tinychat', 'TOPIC #tinychat :new', 'JOIN #other', 'PART #other', 'MODE #other', 'TOPIC #other'))).to.deep.equal([
      ':tinychat 324 alice #tinychat +nt',
      ':tinychat 368 alice #tinychat :End of channel ban list',
      ":tinychat 482 alice #tinychat :You're not a channel operator: the channel's modes are fixed",
      ':tinychat 221 alice +',
      ":tinychat 502 alice :Can't change mode for other users",
      ':tinychat 332 alice #tinychat :Everyone online is here. Private chats: /msg tinychat help',
      ":tinychat 482 alice #tinychat :You're not a channel operator: the topic is fixed",
      ...Array(4).fill(':tinychat 403 alice #other :No such channel: the room is #tinychat'),
    ]);
  });

  it('reads /msg tinychat history [N] as the native /history, older than the oldest line shown', () => {
    const p = registered();
    expect(sent(run(p, 'PRIVMSG tinychat :history', 'PRIVMSG tinychat :HISTORY 5'))).to.deep.equal([{ type: 'history' }, { type: 'history', count: 5 }]);
    p.oldest = 42; // the wire notes it as replayed lines go out
    expect(sent(run(p, 'PRIVMSG tinychat :history 10'))).to.deep.equal([{ type: 'history', count: 10, before: 42 }]);
    for (const bad of ['history 0', 'history 0010', 'history 1e1', 'history +5', 'history 1000', 'history 2.5', 'history ten', 'history 5 more']) {
      const effects = run(p, `PRIVMSG tinychat :${bad}`);
      expect(sent(effects), bad).to.deep.equal([]);
      // A command it knows, with what it does not take: how to write it, in one line, not the whole help.
      expect(replies(effects), bad).to.deep.equal([`:tinychat!service@tinychat NOTICE alice :Not understood: "${bad}". Use HISTORY [N], N lines from 1 to 200.`]);
    }
    // The lines would go to the channel window: with it closed, nothing is asked for.
    p.joined = false;
    const parted = run(p, 'PRIVMSG tinychat :history');
    expect(sent(parted)).to.deep.equal([]);
    expect(replies(parted)).to.deep.equal([':tinychat!service@tinychat NOTICE alice :The history is shown in #tinychat: /join #tinychat first.']);
  });

  it('reads AWAY :message as the native away, and a bare AWAY as back', () => {
    const p = registered();
    expect(sent(run(p, 'AWAY :gone fishing', 'AWAY'))).to.deep.equal([{ type: 'away', message: 'gone fishing' }, { type: 'back' }]);
  });

  it('closes the channel window with PART and opens it again with JOIN (with the names)', () => {
    const p = registered();
    expect(replies(run(p, 'PART #tinychat :later'))).to.deep.equal([':alice!alice@tinychat PART #tinychat later']);
    expect(p.joined).to.equal(false);
    expect(replies(run(p, 'PART #tinychat'))[0]).to.match(/ 442 /);
    const again = run(p, 'JOIN #tinychat');
    expect(replies(again)[0]).to.equal(':alice!alice@tinychat JOIN #tinychat');
    expect(sent(again)).to.deep.equal([{ type: 'who' }]);
    expect(run(p, 'JOIN #tinychat'), 'already there').to.deep.equal([]);
  });

  it('answers PING with PONG before and after registration, and takes PONG as a sign of life once logged in', () => {
    expect(replies(run(new IrcPeer(), 'PING :abc'))).to.deep.equal([':tinychat PONG tinychat abc']);
    expect(run(new IrcPeer(), 'PONG :tinychat')).to.deep.equal([]);
    expect(run(registered(), 'PONG :tinychat')).to.deep.equal([{ do: 'alive' }]);
  });

  it('takes a PONG echoing the PING after a batch of offline messages as its receipt (quietly), whatever comes before the token', () => {
    const receipt = [{ do: 'alive' }, { do: 'send', msg: { type: 'received', id: 42 }, quiet: true }];
    expect(run(registered(), 'PONG :receipt-42')).to.deep.equal(receipt);
    expect(run(registered(), 'PONG receipt-42'), "irssi's form").to.deep.equal(receipt);
    expect(run(registered(), 'PONG tinychat :receipt-42'), 'with a server first').to.deep.equal(receipt);
    for (const other of ['PONG :receipt-', 'PONG :receipt-x1', 'PONG :receipt-1234567890123456', 'PONG :xreceipt-4', 'PONG']) {
      expect(run(registered(), other), other).to.deep.equal([{ do: 'alive' }]);
    }
    expect(run(new IrcPeer(), 'PONG :receipt-42'), 'before login: nothing').to.deep.equal([]);
  });
});
