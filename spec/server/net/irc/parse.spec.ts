/**
 * IRC message syntax with literal lines: parsing what clients send, and building what the server
 * sends so that no parameter can ever become a second line.
 */
import { expect } from 'chai';
import { ChatError } from '../../../../common/errors.js';
import { channelProblem, ctcpLine, ircLine, parseLine, textLines, type IrcMessage } from '../../../../server/net/irc/parse.js';

function parsed(line: string): { tags: Record<string, string>; source: string | null; command: string; params: readonly string[] } {
  const m = parseLine(line);
  if (m instanceof ChatError) throw m;
  return { ...m, tags: Object.fromEntries((m as IrcMessage).tags) };
}

describe('IRC parse: a client line as a message', () => {
  it('reads command, middle parameters and the trailing one, upper-casing the command', () => {
    expect(parsed('privmsg #tinychat :hello there :)')).to.deep.equal({ tags: {}, source: null, command: 'PRIVMSG', params: ['#tinychat', 'hello there :)'] });
    expect(parsed('USER alice 0 * :Alice Liddell').params).to.deep.equal(['alice', '0', '*', 'Alice Liddell']);
    expect(parsed('NICK alice').params).to.deep.equal(['alice']);
    expect(parsed('PRIVMSG #t :').params, 'an empty trailing parameter is a parameter').to.deep.equal(['#t', '']);
    expect(parsed('001 alice :Welcome').command).to.equal('001');
  });

  it('skips a source, collapses repeated spaces, and reads IRCv3 tags with their escapes', () => {
    expect(parsed(':alice!a@h   PRIVMSG   bob   :hi')).to.include({ source: 'alice!a@h', command: 'PRIVMSG' });
    expect(parsed(':alice!a@h   PRIVMSG   bob   :hi').params).to.deep.equal(['bob', 'hi']);
    expect(parsed('@time=2026-01-01T00:00:00Z;msgid=a\\sb\\:c;flag PING :x')).to.deep.include({
      tags: { time: '2026-01-01T00:00:00Z', msgid: 'a b;c', flag: '' },
      command: 'PING',
    });
  });

  it('gives the 15th parameter the rest of the line (RFC 1459)', () => {
    const words = Array.from({ length: 17 }, (_, i) => `p${i}`);
    const { params } = parsed(`CMD ${words.join(' ')}`);
    expect(params).to.have.length(15);
    expect(params[14]).to.equal('p14 p15 p16');
  });

  it('refuses a line without a command, or with one that is not a word or a numeric', () => {
    for (const line of [':source-only', '@tags-only', '   ', 'PRIV-MSG x', '12 x', 'ÉTÉ x']) {
      const m = parseLine(line);
      expect(m, line).to.be.instanceOf(ChatError);
      expect((m as ChatError).code).to.equal('BAD_FRAME');
    }
  });
});

describe('IRC parse: the server lines', () => {
  it('builds source, command and parameters, with a ":" on the last one only when it needs it', () => {
    expect(ircLine('tinychat', '001', 'alice', 'Welcome to tinychat, alice')).to.equal(':tinychat 001 alice :Welcome to tinychat, alice');
    expect(ircLine('tinychat', '324', 'alice', '#tinychat', '+nt')).to.equal(':tinychat 324 alice #tinychat +nt');
    expect(ircLine(null, 'AUTHENTICATE', '+')).to.equal('AUTHENTICATE +');
    expect(ircLine(null, 'ERROR', '')).to.equal('ERROR :');
    expect(ircLine(null, 'PONG', ':x')).to.equal('PONG ::x');
  });

  it('never lets CR, LF, NUL or another control in any parameter make a second line', () => {
    const evil = 'a\r\nQUIT :pwned\0\u0001ACTION\u0001';
    const line = ircLine(`nick\r\n${evil}`, 'PRIVMSG', `bob\r\nKILL me`, evil);
    expect(line).to.not.match(/[\r\n\0\u0001]/);
    expect(line.split(' ').slice(0, 3)).to.deep.equal([':nick\ufffd\ufffda\ufffd\ufffdQUIT_:pwned\ufffd\ufffdACTION\ufffd', 'PRIVMSG', 'bob\ufffd\ufffdKILL_me']);
    // A middle parameter cannot start the trailing one either.
    expect(ircLine('s', 'X', ':sneaky', 'end')).to.equal(':s X _sneaky end');
  });

  it('cuts the last parameter at a character boundary so that a line never passes 512 bytes', () => {
    const line = ircLine('tinychat', 'NOTICE', 'alice', 'é'.repeat(600));
    expect(Buffer.byteLength(`${line}\r\n`)).to.be.at.most(512);
    expect(line).to.not.include('\ufffd');
  });
});

describe('IRC parse: chat text as lines', () => {
  it('gives each line of a text its own PRIVMSG, leaving empty ones out', () => {
    expect(textLines('bob!bob@tinychat', 'PRIVMSG', '#tinychat', 'one\ntwo\n\n\tthree').lines).to.deep.equal([
      ':bob!bob@tinychat PRIVMSG #tinychat :one',
      ':bob!bob@tinychat PRIVMSG #tinychat :two',
      ':bob!bob@tinychat PRIVMSG #tinychat :\tthree',
    ]);
  });

  it('cuts a long line into pieces of at most 512 bytes, between characters, losing nothing', () => {
    const text = `${'ü'.repeat(300)}🙂${'x'.repeat(700)}`;
    const { lines, cut } = textLines('bob!bob@tinychat', 'PRIVMSG', '#tinychat', text);
    expect(cut).to.equal(null);
    expect(lines.length).to.be.greaterThan(2);
    for (const l of lines) expect(Buffer.byteLength(`${l}\r\n`)).to.be.at.most(512);
    const prefix = ':bob!bob@tinychat PRIVMSG #tinychat :';
    expect(lines.map((l) => l.slice(prefix.length)).join('')).to.equal(text);
  });

  it('keeps tags out of the 512 bytes, as IRCv3 does', () => {
    const [line] = textLines('bob!bob@tinychat', 'PRIVMSG', '#t', 'x'.repeat(480), { tags: '@time=2026-01-01T00:00:00.000Z ' }).lines;
    expect(line).to.match(/^@time=\S+ :bob!bob@tinychat PRIVMSG #t :x+$/);
    expect(Buffer.byteLength(line!.slice(line!.indexOf(' ') + 1)) + 2).to.be.at.most(512);
  });
});

describe('IRC parse: CTCP frames', () => {
  it('frames each line of a text with ctcp, within 512 bytes, the text\'s own \\x01 mended', () => {
    expect(textLines('bob!bob@tinychat', 'PRIVMSG', '#t', 'waves\nat \u0001you\u0001', { ctcp: 'ACTION' }).lines).to.deep.equal([
      ':bob!bob@tinychat PRIVMSG #t :\u0001ACTION waves\u0001',
      ':bob!bob@tinychat PRIVMSG #t :\u0001ACTION at \ufffdyou\ufffd\u0001',
    ]);
    const [first] = textLines('bob!bob@tinychat', 'PRIVMSG', '#t', 'x'.repeat(600), { ctcp: 'ACTION' }).lines;
    expect(Buffer.byteLength(`${first}\r\n`)).to.equal(512);
    expect(first!.endsWith('x\u0001')).to.equal(true);
  });

  it('makes one CTCP line, its argument mended and cut to fit, the frame kept', () => {
    expect(ctcpLine('tinychat', 'NOTICE', 'alice', 'PING')).to.equal(':tinychat NOTICE alice :\u0001PING\u0001');
    expect(ctcpLine('tinychat', 'NOTICE', 'alice', 'PING', '1 \u0001\r\n2')).to.equal(':tinychat NOTICE alice :\u0001PING 1 \ufffd\ufffd\ufffd2\u0001');
    const long = ctcpLine('tinychat', 'NOTICE', 'alice', 'PING', 'y'.repeat(600));
    expect(Buffer.byteLength(`${long}\r\n`)).to.equal(512);
    expect(long.endsWith('y\u0001')).to.equal(true);
  });
});

describe('IRC parse: chat text cut at the most lines', () => {
  const start = ':bob!bob@tinychat PRIVMSG #t :';
  const cut = (text: string, max: number) => textLines('bob!bob@tinychat', 'PRIVMSG', '#t', text, { max });

  it('keeps the first `max` lines and counts the lines left out, empty ones not counted, and their bytes', () => {
    expect(cut('a\nb\n\nc\nd\n\né\n', 2)).to.deep.equal({
      lines: [`${start}a`, `${start}b`],
      cut: { lines: 3, bytes: Buffer.byteLength('\nc\nd\n\né\n'), within: false },
    });
  });

  it('cuts nothing when the text has just `max` lines, or fewer, or only newlines after them', () => {
    expect(cut('a\nb\n\n', 2)).to.deep.equal({ lines: [`${start}a`, `${start}b`], cut: null });
    expect(cut('a', 2)).to.deep.equal({ lines: [`${start}a`], cut: null });
    expect(cut(`a\nb${'\n'.repeat(10_000)}`, 2).cut).to.equal(null);
  });

  it('says when the last line kept is only the start of a long line', () => {
    // 480 bytes of text fit a line after the 30 of the command: 2 lines show 960 of the 2,000.
    const long = cut(`${'x'.repeat(2000)}\nnext`, 2);
    expect(long.lines).to.deep.equal([`${start}${'x'.repeat(480)}`, `${start}${'x'.repeat(480)}`]);
    expect(long.cut).to.deep.equal({ lines: 2, bytes: 1040 + 5, within: true });
    expect(cut('x'.repeat(2000), 2).cut).to.deep.equal({ lines: 1, bytes: 1040, within: true });
  });

  it('turns 64 KiB of newlines into `max` lines, not 32,767, and tells a rest that long in bytes only', () => {
    const { lines, cut: rest } = cut('a\n'.repeat(32767), 15);
    expect(lines).to.deep.equal(Array(15).fill(`${start}a`));
    expect(rest).to.deep.equal({ lines: null, bytes: 65504, within: false });
    // Up to 4,096 characters left out, the lines are counted.
    expect(cut('a\n'.repeat(2063), 15).cut).to.deep.equal({ lines: 2048, bytes: 4096, within: false });
    expect(cut('a\n'.repeat(2064), 15).cut).to.deep.equal({ lines: null, bytes: 4098, within: false });
  });
});

describe('IRC parse: the channel name', () => {
  it('takes "#" and up to 49 more characters without spaces, commas, colons or controls', () => {
    expect(channelProblem('#tinychat')).to.equal(null);
    expect(channelProblem('#ça-va')).to.equal(null);
    for (const bad of ['tinychat', '#', '#a b', '#a,b', '#a:b', '#a\u0007', `#${'x'.repeat(50)}`]) expect(channelProblem(bad), bad).to.be.a('string');
  });
});
