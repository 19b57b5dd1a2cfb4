import { expect } from 'chai';
import { layoutInput } from '../../client/input-view.js';

describe('client/input-view', () => {
  it('puts the prompt and the text on one row when they fit, the cursor where it is in the text', () => {
    expect(layoutInput('alice> ', 'hello', 5, 80)).to.deep.equal({ rows: ['alice> hello'], cursorRow: 0, cursorCol: 12 });
    expect(layoutInput('alice> ', 'hello', 2, 80)).to.deep.equal({ rows: ['alice> hello'], cursorRow: 0, cursorCol: 9 });
  });

  it('cuts a long line at the width, and puts a cursor at the end of a full row on the next', () => {
    const text = 'x'.repeat(13);
    expect(layoutInput('a> ', text, 13, 8)).to.deep.equal({ rows: ['a> xxxxx', 'xxxxxxxx', ''], cursorRow: 2, cursorCol: 0 });
    expect(layoutInput('a> ', text, 5, 8)).to.deep.equal({ rows: ['a> xxxxx', 'xxxxxxxx'], cursorRow: 1, cursorCol: 0 });
  });

  it('moves a wide character that does not fit to the next row, the cursor with it', () => {
    expect(layoutInput('a> ', 'bcd😀e', 3, 7)).to.deep.equal({ rows: ['a> bcd', '😀e'], cursorRow: 1, cursorCol: 0 });
    expect(layoutInput('a> ', 'bcd😀e', 5, 7)).to.deep.equal({ rows: ['a> bcd', '😀e'], cursorRow: 1, cursorCol: 2 });
  });

  it('starts the lines after a newline under the text, and shows a tab as blanks', () => {
    expect(layoutInput('bob> ', 'one\ntwo', 7, 80)).to.deep.equal({ rows: ['bob> one', '     two'], cursorRow: 1, cursorCol: 8 });
    expect(layoutInput('bob> ', 'one\ntwo', 3, 80)).to.deep.equal({ rows: ['bob> one', '     two'], cursorRow: 0, cursorCol: 8 });
    expect(layoutInput('> ', 'a\tb', 3, 80)).to.deep.equal({ rows: ['> a    b'], cursorRow: 0, cursorCol: 8 });
  });

  it('shows only the prompt for a hidden answer', () => {
    expect(layoutInput('Password: ', 'secret', 6, 80, true)).to.deep.equal({ rows: ['Password: '], cursorRow: 0, cursorCol: 10 });
  });

  it('keeps at most maxRows rows, the cursor\'s among them', () => {
    const text = Array.from({ length: 10 }, (_, i) => `line${i}`).join('\n');
    const end = layoutInput('> ', text, text.length, 80, false, 3);
    expect(end.rows).to.deep.equal(['  line7', '  line8', '  line9']);
    expect([end.cursorRow, end.cursorCol]).to.deep.equal([2, 7]);
    const start = layoutInput('> ', text, 0, 80, false, 3);
    expect(start.rows[0]).to.equal('> line0');
    expect([start.cursorRow, start.cursorCol]).to.deep.equal([0, 2]);
  });
});
