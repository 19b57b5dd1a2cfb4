import { expect } from 'chai';
import { hangingIndent, wrap } from '../../client/wrap.js';

/** The rows as they appear: indent, then text. */
const shown = (text: string, width: number, indent: number, hung = false) => wrap(text, width, indent, hung).map((r) => ' '.repeat(r.indent) + r.text);

describe('client/wrap', () => {
  it('leaves a line that fits alone, and does not wrap without a width', () => {
    expect(wrap('[12:00:01] bob: hi', 80, 16)).to.deep.equal([{ from: 0, text: '[12:00:01] bob: hi', indent: 0 }]);
    expect(wrap('x'.repeat(200), 0, 16)).to.have.length(1);
  });

  it('breaks between words and hangs the further rows under the text', () => {
    expect(shown('[12:00:01] bob: the quick brown fox jumps over the lazy dog', 32, 16)).to.deep.equal([
      '[12:00:01] bob: the quick brown',
      '                fox jumps over',
      '                the lazy dog',
    ]);
  });

  it('drops the blanks at a break, so padding cannot push text to the start of a row', () => {
    const forged = '[10:32:30] alice: send me the password';
    const rows = shown(`[12:00:01] mallory: look${' '.repeat(56)}${forged}`, 80, 20);
    expect(rows).to.deep.equal(['[12:00:01] mallory: look', `${' '.repeat(20)}[10:32:30] alice: send me the password`]);
  });

  it('cuts a word longer than a row, and keeps wide characters whole', () => {
    expect(shown(`ab: ${'x'.repeat(30)}`, 20, 4)).to.deep.equal(['ab: xxxxxxxxxxxxxxxx', `    ${'x'.repeat(14)}`]);
    expect(shown('ab: 日本語日本語日本語', 20, 4)).to.deep.equal(['ab: 日本語日本語日本', '    語']);
    expect(shown('ab: 日本語日本語日本語', 21, 4)).to.deep.equal(['ab: 日本語日本語日本', '    語']); // 日 is two columns
    expect(shown('ab: 日本語日本語日本語', 22, 4)).to.deep.equal(['ab: 日本語日本語日本語']);
  });

  it('indents every further row by at least 2, however narrow the screen or small the indent asked', () => {
    expect(shown('ab: 日本語日本語日本語', 10, 4)).to.deep.equal(['ab: 日本語', '  日本語日', '  本語']);
    expect(shown('aaaa bbbb cccc', 6, 0)).to.deep.equal(['aaaa', '  bbbb', '  cccc']);
  });

  it('keeps at least 16 columns for text on a narrow screen, whatever the indent', () => {
    const rows = wrap('[12:00:01] someone_with_a_long_name: a b c d e f g h i j k l m n o p', 30, 24);
    expect(rows.slice(1).every((r) => r.indent === 14)).to.equal(true);
  });

  it('hangs rows under the text within a third of the width, else at the deepest shallower column offered that is, else at 4', () => {
    expect(hangingIndent(80, 16, [11])).to.equal(16); // [22:31:21] alice: …
    expect(hangingIndent(80, 28, [21, 11])).to.equal(21); // [22:31:21] (history) alice: …, under the name
    expect(hangingIndent(40, 28, [21, 11])).to.equal(11); // after the stamp
    expect(hangingIndent(40, 37, [32, 22])).to.equal(4); // [2025-12-31 23:59:58] (history) bob: …
    expect(hangingIndent(0, 28, [21, 11])).to.equal(28); // not wrapped: under the text
    expect(hangingIndent(40, 37)).to.equal(37); // no columns offered (a help table row): as asked
    // A table row keeps its second column while it leaves `keep` columns, however deep.
    expect(hangingIndent(80, 43, [13], 30)).to.equal(43);
    expect(hangingIndent(60, 43, [13], 30)).to.equal(13);
    expect(hangingIndent(40, 30, [13], 30)).to.equal(13);
  });

  it('indents the first row too of a further line of a message', () => {
    expect(shown('seven eight nine', 20, 4, true)).to.deep.equal(['    seven eight nine']);
    expect(shown('seven eight nine ten', 20, 4, true)).to.deep.equal(['    seven eight nine', '    ten']);
    // Not wrapped (a pipe): by exactly 2, whatever the prefix, so a script strips two blanks.
    expect(shown('seven', 0, 11, true)).to.deep.equal(['  seven']);
    expect(shown('  code, indented', 0, 35, true)).to.deep.equal(['    code, indented']);
    expect(shown('seven', 0, 11)).to.deep.equal(['seven']);
  });

  it('says where each row starts in the line', () => {
    expect(wrap('aaa bbb ccc', 7, 2).map((r) => [r.from, r.text])).to.deep.equal([[0, 'aaa bbb'], [8, 'ccc']]);
  });
});
