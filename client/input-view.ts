/**
 * Where the prompt and the line being typed go on screen: the rows they take at a given width
 * and the row and column of the cursor. Pure, so "what is shown" and "where the cursor is" are
 * computed from the editor's text in one place and tested with literal inputs.
 *
 * Rows are cut at the screen's width by us (the terminal never wraps them), so the screen code
 * always knows how many rows the input takes and can clear exactly those.
 */
import { graphemeWidth, graphemes, textWidth } from './text-width.js';

export interface InputView {
  /** What each row shows (tabs expanded). Never wider than the screen. */
  readonly rows: readonly string[];
  readonly cursorRow: number;
  readonly cursorCol: number;
}

/** A tab in the typed text is shown as this many blanks. */
const TAB = '    ';

/**
 * Lays out `prompt` then `text` (the cursor at index `cursor`) in rows of `width` columns. Lines
 * after a newline in the text start under the text, after the prompt's width (at most half the
 * screen). With `hidden` (a password) only the prompt shows. At most `maxRows` rows are kept: the
 * ones around the cursor.
 */
export function layoutInput(prompt: string, text: string, cursor: number, width: number, hidden = false, maxRows = Infinity): InputView {
  const cols = Math.max(1, width);
  const rows: string[] = [''];
  let col = 0;
  let at: { row: number; col: number } | null = null;
  const newRow = (indent: number) => {
    rows.push(' '.repeat(indent));
    col = indent;
  };
  const put = (shown: string, w: number) => {
    if (col + w > cols && col > 0) newRow(0);
    rows[rows.length - 1] += shown;
    col += w;
  };
  /** The cursor goes here; on a full row it goes to the start of the next. */
  const mark = () => {
    if (col >= cols) newRow(0);
    at = { row: rows.length - 1, col };
  };
  for (const g of graphemes(prompt)) put(g, graphemeWidth(g));
  const indent = Math.min(textWidth(prompt), Math.floor(cols / 2));
  if (!hidden) {
    let i = 0;
    for (const g of graphemes(text)) {
      if (i === cursor) {
        // Placed first, so that a character that wraps takes the cursor with it.
        if (g === '\n') mark();
        else {
          const w = g === '\t' ? TAB.length : graphemeWidth(g);
          if (col + w > cols && col > 0) newRow(0);
          mark();
        }
      }
      if (g === '\n') newRow(indent);
      else if (g === '\t') put(TAB, TAB.length);
      else put(g, graphemeWidth(g));
      i += g.length;
    }
  }
  if (at === null) mark();
  return window(rows, at!.row, at!.col, maxRows);
}

/** Keeps at most `maxRows` rows, the cursor's among them (the later ones preferred). */
function window(rows: string[], row: number, col: number, maxRows: number): InputView {
  if (rows.length <= maxRows) return { rows, cursorRow: row, cursorCol: col };
  const keep = Math.max(1, maxRows);
  const start = Math.min(rows.length - keep, Math.max(0, row - keep + 1));
  return { rows: rows.slice(start, start + keep), cursorRow: row - start, cursorCol: col };
}
