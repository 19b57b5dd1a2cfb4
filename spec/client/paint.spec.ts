import { expect } from 'chai';
import type { DisplayLine } from '../../client/format.js';
import { nameColour, paint } from '../../client/paint.js';

const line = (text: string, extra: Partial<DisplayLine> = {}): DisplayLine => ({ style: 'chat', text, indent: 16, ...extra });

describe('client/paint', () => {
  it('without colour, gives the wrapped rows as plain text', () => {
    expect(paint(line('[12:00:01] bob: the quick brown fox jumps'), 40, false)).to.deep.equal([
      '[12:00:01] bob: the quick brown fox',
      '                jumps',
    ]);
    expect(paint(line('x'.repeat(100)), 0, false)).to.deep.equal(['x'.repeat(100)]);
  });

  it('gives each sender a colour of their own, the same for any case, never red', () => {
    expect(nameColour('alice')).to.equal(nameColour('ALICE'));
    const colours = new Set(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'].map(nameColour));
    expect(colours.size).to.be.greaterThan(3);
    expect([...colours].some((c) => c === '31' || c === '91')).to.equal(false);
  });

  it('colours the sender\'s name, the style of the line around it, and a mention in bold yellow', () => {
    const bob = `\x1b[${nameColour('bob')}m`;
    const chat = line('[12:00:01] bob: hi', { sender: { at: 11, name: 'bob' } });
    expect(paint(chat, 80, true)).to.deep.equal([`[12:00:01] \x1b[0m${bob}bob\x1b[0m: hi`]);
    const mention = line('[12:00:01] bob: hi alice', { sender: { at: 11, name: 'bob' }, mention: true });
    expect(paint(mention, 80, true)).to.deep.equal([`\x1b[1;33m[12:00:01] \x1b[0m${bob}bob\x1b[0m\x1b[1;33m: hi alice\x1b[0m`]);
    expect(paint({ style: 'error', text: '[12:00:01] ! no', indent: 13 }, 80, true)).to.deep.equal(['\x1b[31m[12:00:01] ! no\x1b[0m']);
  });

  it('colours only the rows that hold the name when the line wraps', () => {
    const rows = paint(line('[12:00:01] bob: aaaa bbbb cccc dddd eeee', { sender: { at: 11, name: 'bob' } }), 36, true);
    expect(rows).to.have.length(2);
    expect(rows[0]).to.include(`\x1b[${nameColour('bob')}mbob`);
    expect(rows[1]).to.equal('                eeee');
  });
});
