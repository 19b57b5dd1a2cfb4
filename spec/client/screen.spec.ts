import { expect } from 'chai';
import { rowsAbove } from '../../client/screen.js';

describe('client/screen', () => {
  describe('rowsAbove: where the input area starts after the terminal reflowed it', () => {
    /** Rows of these many columns, as drawn. */
    const drawn = (...columns: number[]) => columns.map((n) => 'x'.repeat(n));
    // "alice> " and 106 letters typed on 80 columns: a row of 80, then 33, the cursor at the end.
    const typed = { rows: drawn(80, 33), cursorRow: 1, cursorCol: 33, width: 80 };

    it('at the width it was drawn at, is the cursor\'s row', () => {
      expect(rowsAbove(typed, 80)).to.equal(1);
      expect(rowsAbove({ rows: drawn(7), cursorRow: 0, cursorCol: 7, width: 80 }, 80)).to.equal(0);
    });

    it('narrower, counts each row as the rows it now takes, and the cursor\'s row up to its column', () => {
      // 80 -> 40: two rows, then 33 -> one, the cursor on it.
      expect(rowsAbove(typed, 40)).to.equal(2);
      // 80 -> 30: three rows; 33 -> two, the cursor at column 33 on the second.
      expect(rowsAbove(typed, 30)).to.equal(4);
      // The cursor mid-row: column 50 of the first row is on its second row at 40 columns.
      expect(rowsAbove({ ...typed, cursorRow: 0, cursorCol: 50 }, 40)).to.equal(1);
    });

    it('keeps a cursor at the very end of a row that now fills whole rows on its last one, as tmux does', () => {
      expect(rowsAbove({ rows: drawn(80, 40), cursorRow: 1, cursorCol: 40, width: 80 }, 40)).to.equal(2);
    });

    it('counts an empty row (a cursor on a new one, a blank line of the text) as one', () => {
      expect(rowsAbove({ rows: drawn(80, 0), cursorRow: 1, cursorCol: 0, width: 80 }, 40)).to.equal(2);
      expect(rowsAbove({ rows: drawn(0, 12, 5), cursorRow: 2, cursorCol: 5, width: 40 }, 80)).to.equal(2);
    });

    it('measures a row in columns: a colour takes none, a wide character two', () => {
      const painted = ['\x1b[2m-- reconnecting\x1b[0m' + 'x'.repeat(65), '\u6f22'.repeat(40), 'alice> hi'];
      // 80, 80 and 9 columns: two rows each at 40, then the cursor's.
      expect(rowsAbove({ rows: painted, cursorRow: 2, cursorCol: 9, width: 80 }, 40)).to.equal(4);
    });

    it('wider, keeps one row each (rows drawn narrower are not joined)', () => {
      expect(rowsAbove({ rows: drawn(40, 40, 17), cursorRow: 2, cursorCol: 17, width: 40 }, 80)).to.equal(2);
    });
  });
});
