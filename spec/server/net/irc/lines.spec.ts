/**
 * IRC framing with literal bytes: lines ended by CR LF or LF, in any chunking; an over-long line
 * refused whole (never cut) and the stream in step after it; invalid UTF-8 refused; what is held
 * while waiting for a line's end stays bounded whatever arrives.
 */
import { expect } from 'chai';
import { LineSplitter, MAX_LINE, MAX_TAGS, type LineResult } from '../../../../server/net/irc/lines.js';

/** Everything `chunks` make, lines as text and errors as their codes. */
function split(...chunks: (string | Buffer)[]): string[] {
  const s = new LineSplitter();
  const out: string[] = [];
  for (const c of chunks) {
    s.feed(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
    for (let r: LineResult | null = s.next(); r !== null; r = s.next()) out.push(r.error ? `!${r.error.code}: ${r.error.message}` : r.line);
  }
  return out;
}

describe('IRC lines (bytes to lines)', () => {
  it('splits on CR LF and on a bare LF, and ignores empty lines', () => {
    expect(split('NICK alice\r\nUSER a 0 * :A\n\r\n\nPING :x\r\n')).to.deep.equal(['NICK alice', 'USER a 0 * :A', 'PING :x']);
  });

  it('takes lines pipelined in one chunk and lines cut anywhere, even between CR and LF', () => {
    const whole = 'PRIVMSG #tinychat :héllo\r\nPING :1\r\n';
    const bytes = Buffer.from(whole, 'utf8');
    expect(split(bytes)).to.deep.equal(['PRIVMSG #tinychat :héllo', 'PING :1']);
    // One byte at a time: the é's two bytes arrive apart, and so do CR and LF.
    expect(split(...[...bytes].map((b) => Buffer.from([b])))).to.deep.equal(['PRIVMSG #tinychat :héllo', 'PING :1']);
    expect(split('PRIVMSG #t :a\r', '\nPI', 'NG :2\r\n')).to.deep.equal(['PRIVMSG #t :a', 'PING :2']);
  });

  it(`takes a line of exactly ${MAX_LINE} bytes with its CR LF, and refuses one byte more whole, saying how long`, () => {
    const fits = `PRIVMSG #t :${'x'.repeat(MAX_LINE - 2 - 'PRIVMSG #t :'.length)}`;
    expect(split(`${fits}\r\n`)).to.deep.equal([fits]);
    const over = `${fits}y`;
    expect(split(`${over}\r\nPING :after\r\n`)).to.deep.equal([
      `!FRAME_TOO_LARGE: message too long: ${MAX_LINE + 1} bytes, the limit is ${MAX_LINE}; it was not delivered`,
      'PING :after',
    ]);
  });

  it('throws away an over-long line as it arrives, holding no more than a line, and reports it once at its end', () => {
    const s = new LineSplitter();
    const results: string[] = [];
    s.feed(Buffer.from('PRIVMSG #t :'));
    for (let i = 0; i < 100; i++) {
      s.feed(Buffer.alloc(10_000, 0x61));
      expect(s.next()).to.equal(null);
      expect(s.buffered).to.be.at.most(MAX_TAGS + MAX_LINE);
    }
    s.feed(Buffer.from('\r\nPING :next\r\n'));
    for (let r = s.next(); r !== null; r = s.next()) results.push(r.error ? r.error.code : r.line);
    expect(results).to.deep.equal(['FRAME_TOO_LARGE', 'PING :next']);
  });

  it(`allows IRCv3 tags of up to ${MAX_TAGS} bytes besides the ${MAX_LINE} bytes of the line`, () => {
    const tags = `@a=${'t'.repeat(MAX_TAGS - 5)} `;
    expect(tags.length).to.equal(MAX_TAGS - 1);
    const body = `PRIVMSG #t :${'x'.repeat(MAX_LINE - 2 - 'PRIVMSG #t :'.length)}`;
    expect(split(`${tags}${body}\r\n`)).to.deep.equal([`${tags}${body}`]);
    expect(split(`${tags}${body}x\r\n`)[0]).to.match(/^!FRAME_TOO_LARGE/);
    expect(split(`@a=${'t'.repeat(MAX_TAGS)} PING :x\r\n`)[0]).to.match(/^!FRAME_TOO_LARGE/);
  });

  it('refuses a line that is not UTF-8 (a Latin-1 client), and reads the next', () => {
    const latin1 = Buffer.concat([Buffer.from('PRIVMSG #t :caf'), Buffer.from([0xe9]), Buffer.from('\r\nPING :ok\r\n')]);
    expect(split(latin1)).to.deep.equal(['!BAD_UTF8: your line is not valid UTF-8', 'PING :ok']);
  });

  it('does not pin a received chunk for the sake of an unfinished tail', () => {
    const s = new LineSplitter();
    const chunk = Buffer.from(`PING :1\r\n${'x'.repeat(60_000)}\r\nPING :`);
    s.feed(chunk);
    while (s.next() !== null);
    expect(s.buffered).to.equal('PING :'.length);
    expect(s['buf'], 'a buffer of its own').to.not.equal(chunk);
    expect((s['buf'] as Buffer).buffer).to.not.equal(chunk.buffer);
  });
});
