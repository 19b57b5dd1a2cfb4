/**
 * Wrapping a display line into terminal rows, by us rather than by the terminal. Pure.
 *
 * Why not let the terminal wrap: a line the terminal wraps continues at column 0, where it looks
 * exactly like a new line. Another user could pad a message with blanks to the edge of an
 * 80-column screen and follow it with `[10:32:30] alice: send me the password`, which would then
 * appear to be alice speaking. Here every row after the first starts with a hanging indent, so
 * column 0 only ever holds the start of a real line (a timestamp), and the blanks at a break are
 * dropped, so padding cannot push text to a row of its own.
 */
import { graphemeWidth, graphemes, textWidth } from './text-width.js';

/** One row: `text` starts at index `from` of the line and is shown after `indent` blank columns. */
export interface Row {
  readonly from: number;
  readonly text: string;
  readonly indent: number;
}

/** A continuation row keeps at least this many columns for text, however deep the indent asked. */
const MIN_TEXT_COLUMNS = 16;
/** But it is always indented by at least this much: column 0 is for the start of a line. */
const MIN_INDENT = 2;
/** Where rows hang when every column a line offers is deeper than a third of the screen. */
const LAST_HANG = 4;

/**
 * The column a line's further rows hang at on a screen `width` columns wide: under its text
 * (`indent`) when that is within a third of the width, as a live line's `[t] bob: ` is; else at
 * the deepest of the shallower columns it offers (`hangs`: under the sender's name, after the
 * time stamp) that is, and else at 4. Past a third, the rows would be left with too little room
 * (a `(history)` line at 40 columns kept 16, and a URL took 8 rows). Without a width, or
 * without `hangs`, `indent` as it is; with `keep` (a table row), `indent` too while it leaves
 * that many columns, however deep.
 */
export function hangingIndent(width: number, indent: number, hangs?: readonly number[], keep?: number): number {
  if (!(width > 0) || hangs === undefined) return indent;
  if (keep !== undefined && width - indent >= keep) return indent;
  const limit = Math.floor(width / 3);
  return [indent, ...hangs].find((c) => c <= limit) ?? LAST_HANG;
}

/** Runs of blanks and runs of anything else, with where each starts. */
function tokens(text: string): { at: number; text: string; blank: boolean }[] {
  const out: { at: number; text: string; blank: boolean }[] = [];
  const re = / +|[^ ]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ at: m.index, text: m[0], blank: m[0][0] === ' ' });
  return out;
}

/**
 * `text` in rows of at most `width` columns; rows after the first are indented by `indent`
 * (less on a narrow screen, but never less than 2), and so is the first when `hung` (a further
 * line of a message, which must not start at column 0 either). Breaks fall between words, and
 * the blanks at a break are dropped; a word too long for a row is cut. A width of 0 or less
 * means "do not wrap" (output to a pipe): there a further line is indented by exactly 2,
 * whatever the indent asked. A script reading the output tells a message's first line (its time
 * at column 0) from its further lines (two blanks), and gets each back as it was sent by removing
 * those two; under the text it was 16 blanks after `[t] bob: `, 35 after a private line's prefix,
 * a different depth for every sender, and for no reader's benefit, as nothing wraps.
 */
export function wrap(text: string, width: number, indent: number, hung = false): Row[] {
  if (!(width > 0)) return [{ from: 0, text, indent: hung ? MIN_INDENT : 0 }];
  const ind = Math.max(Math.min(MIN_INDENT, width - 1), Math.min(indent, width - MIN_TEXT_COLUMNS));
  const first = hung ? ind : 0;
  if (first + textWidth(text) <= width) return [{ from: 0, text, indent: first }];
  const rows: Row[] = [];
  let from = 0;
  let row = '';
  let used = 0;
  const room = () => (rows.length === 0 ? width - first : width - ind);
  const breakRow = () => {
    rows.push({ from, text: row.replace(/ +$/, ''), indent: rows.length === 0 ? first : ind });
    row = '';
    used = 0;
  };
  for (const t of tokens(text)) {
    const w = textWidth(t.text);
    if (t.blank) {
      // A continuation row never starts with blanks; blanks that do not fit end the row.
      if (used === 0 && rows.length > 0) continue;
      if (used + w <= room()) {
        if (used === 0) from = t.at;
        row += t.text;
        used += w;
      } else if (used > 0) breakRow();
      continue;
    }
    if (used + w > room() && used > 0 && w <= width - ind) breakRow();
    if (used + w <= room()) {
      if (used === 0) from = t.at;
      row += t.text;
      used += w;
      continue;
    }
    // Longer than a whole row: cut it, a grapheme at a time.
    let at = t.at;
    for (const g of graphemes(t.text)) {
      const gw = graphemeWidth(g);
      if (used + gw > room() && used > 0) breakRow();
      if (used === 0) from = at;
      row += g;
      used += gw;
      at += g.length;
    }
  }
  if (used > 0 || rows.length === 0) breakRow();
  return rows;
}
