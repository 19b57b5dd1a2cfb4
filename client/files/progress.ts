/**
 * Progress bars for file transfers, drawn by cli-progress (its formatting, throttled redraws and
 * ETA) into rows of our own screen, above the line being typed: cli-progress would otherwise
 * move the cursor itself and fight the line editor (screen.ts) for the bottom of the terminal.
 * It gets a terminal of ours that takes what it draws and hands it to the Ui as a status row.
 *
 * Quiet when not on a terminal: a pipe gets no bars at all (NO_PROGRESS), only the lines that say
 * a transfer started and how it ended.
 */
import cliProgress from 'cli-progress';
import { humanSize } from '../../common/size.js';
import { fitWidth } from '../text-width.js';

/** What the transfers need of progress bars. */
export interface Progress {
  start(key: string, label: string, total: number): void;
  update(key: string, value: number): void;
  stop(key: string): void;
}

export const NO_PROGRESS: Progress = { start() {}, update() {}, stop() {} };

/**
 * The terminal cli-progress draws on (its `terminal` option): it keeps the last row drawn and
 * reports it; cursor movements mean nothing here, since our screen places the row.
 */
class RowTerminal {
  row = '';
  constructor(
    private readonly width: () => number,
    private readonly changed: () => void,
  ) {}
  isTTY(): boolean {
    return true;
  }
  getWidth(): number {
    return this.width();
  }
  write(s: string): void {
    this.row = fitWidth(s, this.width());
    this.changed();
  }
  cursorSave(): void {}
  cursorRestore(): void {}
  cursor(): void {}
  cursorTo(): void {}
  cursorRelative(): void {}
  cursorRelativeReset(): void {}
  clearRight(): void {}
  clearLine(): void {}
  clearBottom(): void {}
  newline(): void {}
  lineWrapping(): void {}
}

/** Bars on a terminal: `show(rows)` puts the current rows above the input line (Ui.status). */
export class TerminalProgress implements Progress {
  private readonly bars = new Map<string, { bar: cliProgress.SingleBar; terminal: RowTerminal }>();

  constructor(
    private readonly show: (rows: readonly string[]) => void,
    private readonly width: () => number,
  ) {}

  start(key: string, label: string, total: number): void {
    this.stop(key);
    const terminal = new RowTerminal(() => Math.max(20, this.width() - 1), () => this.redraw());
    const options = {
      terminal,
      // The percentage before the bar: a row too wide for the screen is cut at its end, and on
      // 40 columns that took the percentage, leaving a bar without a number.
      format: `${label} {percentage}% [{bar}] {done}/{size} ETA {eta_formatted}`,
      barsize: 20,
      fps: 10,
      clearOnComplete: true,
    } as unknown as cliProgress.Options;
    const bar = new cliProgress.SingleBar(options, cliProgress.Presets.legacy);
    this.bars.set(key, { bar, terminal });
    bar.start(total, 0, { done: humanSize(0), size: humanSize(total) });
  }

  update(key: string, value: number): void {
    this.bars.get(key)?.bar.update(value, { done: humanSize(value) });
  }

  stop(key: string): void {
    const b = this.bars.get(key);
    if (!b) return;
    this.bars.delete(key);
    b.bar.stop();
    this.redraw();
  }

  private redraw(): void {
    this.show([...this.bars.values()].map((b) => b.terminal.row).filter((r) => r !== ''));
  }
}
