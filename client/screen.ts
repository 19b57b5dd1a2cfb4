/**
 * The bottom of a terminal: the rows of the line being typed (the input area), with new lines
 * printed above it. Everything goes out in one write per change, as escape sequences that move
 * relative to the cursor, so it works in any terminal, inside tmux, and after scrolling.
 *
 * The screen remembers how many rows the input area took and on which of them the cursor was, so
 * it can always wipe exactly that area before printing: incoming lines can never be printed over,
 * or be wiped with, a long typed line (issue 11's first defect, with node:readline, which redrew
 * from a row count of its own that our printing had made stale).
 */
import type { InputView } from './input-view.js';

/**
 * Clears from the cursor's row (the cursor at its start) to the end of the screen. Not with one
 * ED from there: tmux files the whole screen into the scrollback when that is done in the top-left
 * corner (its scroll-on-clear), which the input area is after /clear, so every key typed there
 * left a copy of the line in the scrollback. So: this row with EL, then the rest with ED from the
 * start of the row below (the cursor saved and restored around it, since at the bottom row it
 * cannot go down).
 */
const CLEAR_DOWN = '\x1b[K\x1b7\x1b[B\r\x1b[J\x1b8';
const up = (n: number) => (n > 0 ? `\x1b[${n}A` : '');
const right = (n: number) => (n > 0 ? `\x1b[${n}C` : '');

export class Screen {
  /** The input area on screen, or null when there is none (nothing drawn, or wiped). */
  private drawn: { cursorRow: number } | null = null;

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
    const s = `\r${up(this.drawn.cursorRow)}${CLEAR_DOWN}`;
    this.drawn = null;
    return s;
  }

  private draw(v: InputView): string {
    // After the last row the cursor is at its end; from there, up and across to its place.
    const last = v.rows.length - 1;
    this.drawn = { cursorRow: v.cursorRow };
    return `${v.rows.join('\r\n')}\r${up(last - v.cursorRow)}${right(v.cursorCol)}`;
  }
}
