/**
 * The bottom of a terminal: the rows of the line being typed (the input area), with new lines
 * printed above it. Everything goes out in one write per change, as escape sequences that move
 * relative to the cursor, so it works in any terminal, inside tmux, and after scrolling.
 *
 * The screen remembers how many rows the input area took, how wide each was, and where the cursor
 * was, so it can always wipe exactly that area before printing, after a resize too (rowsAbove):
 * incoming lines can never be printed over, or be wiped with, a long typed line (issue 11's first
 * defect, with node:readline, which redrew from a row count of its own that our printing had made
 * stale).
 */
import type { InputView } from './input-view.js';
import { textWidth } from './text-width.js';

/**
 * Clears from the cursor's row (the cursor at its start) to the end of the screen. Not with one
 * ED from there: tmux files the whole screen into the scrollback when that is done in the top-left
 * corner (its scroll-on-clear), which the input area is after /clear, so every key typed there
 * left a copy of the line in the scrollback. So: this row with EL, then the rest with ED from the
 * start of the row below (the cursor saved and restored around it, since at the bottom row it
 * cannot go down).
 */
const CLEAR_DOWN = '\x1b[K\x1b7\x1b[B\r\x1b[J\x1b8';
/** Colours and attributes (status rows are painted): they take no columns. */
const SGR = /\x1b\[[0-9;]*m/g;
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
const right = (n: number) => (n > 0 ? `\x1b[${n}C` : '');

/**
 * The input area as drawn: its rows, where the cursor was, and the width then. The rows are kept
 * as drawn and measured only when the width has changed (rowsAbove): the area is drawn again for
 * every key and every line printed above it, and resized seldom.
 */
interface Drawn {
  readonly rows: readonly string[];
  readonly cursorRow: number;
  readonly cursorCol: number;
  readonly width: number;
}

/**
 * How many rows above the cursor the input area starts, once the terminal went from `d.width`
 * columns to `width`. The same width: the row the cursor was drawn on. Another: the terminal
 * has reflowed the rows, as tmux, VTE, iTerm2, kitty and Windows Terminal do: a row of `w`
 * columns now takes ceil(w / width) rows (one at least), and the cursor sits on the row of its
 * own that its column falls in (the last one, when it was at the row's end). Counted from the
 * rows as drawn, since such a terminal reflows a row as a whole each time, however many resizes
 * came in between. A terminal that cuts rows instead (xterm) keeps one row each, and there the
 * wipe clears that many more rows above the area as well: a few chat rows blanked, where the
 * other guess left stale copies of the typed line on every reflowing terminal.
 */
export function rowsAbove(d: Drawn, width: number): number {
  if (width === d.width) return d.cursorRow;
  const rows = (i: number) => Math.max(1, Math.ceil(textWidth((d.rows[i] ?? '').replace(SGR, '')) / width));
  let n = 0;
  for (let i = 0; i < d.cursorRow; i++) n += rows(i);
  return n + Math.min(Math.floor(d.cursorCol / width), rows(d.cursorRow) - 1);
}

export class Screen {
  /** The input area on screen, or null when there is none (nothing drawn, or wiped). */
  private drawn: Drawn | null = null;

  constructor(private readonly out: NodeJS.WriteStream) {}

  /** Columns to lay rows out in (80 when the terminal does not say). */
  get width(): number {
    return this.out.columns > 0 ? this.out.columns : 80;
  }

  get height(): number {
    return this.out.rows > 0 ? this.out.rows : 24;
  }

  /**
   * Prints `above` (rows no wider than the screen) where the input area was, then draws `view`
   * below them (none: leave the area empty). Either may be empty.
   */
  update(above: readonly string[], view: InputView | null): void {
    let s = this.wipe();
    for (const row of above) s += `${row}\r\n`;
    if (view) s += this.draw(view);
    this.out.write(s);
  }

  /** Clears the whole screen and its scrollback, then draws `view` at the top. */
  clear(view: InputView | null): void {
    this.drawn = null;
    this.out.write(`\x1b[H\x1b[2J\x1b[3J${view ? this.draw(view) : ''}`);
  }

  /** Writes control sequences that leave the picture alone (modes, the bell). */
  raw(s: string): void {
    this.out.write(s);
  }

  /** Moves to the first row of the input area and clears from there down. */
  private wipe(): string {
    if (!this.drawn) return '';
    const s = `\r${up(rowsAbove(this.drawn, this.width))}${CLEAR_DOWN}`;
    this.drawn = null;
    return s;
  }

  private draw(v: InputView): string {
    // After the last row the cursor is at its end; from there, up and across to its place.
    const last = v.rows.length - 1;
    this.drawn = { rows: v.rows, cursorRow: v.cursorRow, cursorCol: v.cursorCol, width: this.width };
    return `${v.rows.join('\r\n')}\r${up(last - v.cursorRow)}${right(v.cursorCol)}`;
  }
}
