import { expect } from 'chai';
import { fitWidth, graphemeWidth, graphemes, textWidth } from '../../client/text-width.js';

describe('client/text-width', () => {
  it('counts a column for each ASCII and accented letter, two for wide letters and emoji', () => {
    expect(textWidth('hello')).to.equal(5);
    expect(textWidth('Mücahit şğ')).to.equal(10);
    expect(textWidth('日本語')).to.equal(6);
    expect(textWidth('a😀b')).to.equal(4);
    expect(textWidth('한글')).to.equal(4);
  });

  it('counts nothing for combining marks and invisible format characters', () => {
    expect(textWidth('e\u0301')).to.equal(1);
    expect(textWidth('a\u200db')).to.equal(2);
    expect(graphemeWidth('\u0301')).to.equal(0);
  });

  it('makes a symbol wide when it asks for emoji presentation', () => {
    expect(graphemeWidth('\u2764')).to.equal(1);
    expect(graphemeWidth('\u2764\ufe0f')).to.equal(2);
  });

  it('splits text into grapheme clusters, so an accent typed as two code points is one', () => {
    expect(graphemes('ae\u0301😀')).to.deep.equal(['a', 'e\u0301', '😀']);
    expect(graphemes('👍🏽x')).to.deep.equal(['👍🏽', 'x']);
  });

  it('splits plain ASCII (with newlines and tabs) a character a cluster, and a line break typed as CR LF as one', () => {
    expect(graphemes('a b\n\tc~')).to.deep.equal(['a', ' ', 'b', '\n', '\t', 'c', '~']);
    expect(graphemes('a\r\nb')).to.deep.equal(['a', '\r\n', 'b']);
    // A pasted line of 30,000 characters, laid out on every key: one character a cluster.
    expect(graphemes('y'.repeat(30_000))).to.have.length(30_000);
  });

  it('fitWidth keeps the start that fits the columns, whole characters only', () => {
    expect(fitWidth('-> bob big.bin', 30)).to.equal('-> bob big.bin');
    expect(fitWidth('-> bob big.bin', 6)).to.equal('-> bob');
    // Two columns each: a third would overrun by one, so it goes whole.
    expect(fitWidth('\u6f22\u5b57\u5b57', 5)).to.equal('\u6f22\u5b57');
    // A thumb with a skin tone is one cluster of two code points, two columns: never cut in half.
    expect(fitWidth('a\u{1f44d}\u{1f3fd}b', 2)).to.equal('a');
    expect(fitWidth('a\u{1f44d}\u{1f3fd}b', 3)).to.equal('a\u{1f44d}\u{1f3fd}');
  });
});
