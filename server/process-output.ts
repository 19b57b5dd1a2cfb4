/**
 * What the running server writes for its operator: the console's answers and online lists
 * (stdout) and the log's console lines (stderr), in the order they were made.
 *
 * Both are gathered for one event-loop turn and written together at its end (at most once per
 * WRITE_EVERY_MS: see Pacer in log-sinks.ts). The log's lines
 * were already written once per turn, from libuv's thread pool (see logger.ts), while the console
 * wrote to stdout at once: when both reach one terminal or one file (`2>&1`, a journal), an
 * online list could appear before the log line of the login that changed it. Now a turn's lines
 * leave in one batch, and when stdout and stderr are the same place, through one stream, so they
 * keep their order there.
 *
 * On a terminal the console has a prompt and the operator's half-typed command. Each batch first
 * erases them and then has them drawn again below it, so output never lands inside the typed
 * text; the terminal's echo of typed keys goes through the same stream (`raw`), so nothing
 * overtakes anything else.
 */
import { Pacer, type Sink } from './log-sinks.js';

/** The console's prompt and typed line on a terminal. */
export interface Prompt {
  /** Text that takes the cursor to where the prompt starts and clears from there down. */
  erase(): string;
  /** Draws the prompt and the typed line again, cursor where it was (writes through `raw`). */
  redraw(): void;
}

type Fd = 1 | 2;

export class ProcessOutput {
  private pending: { fd: Fd; text: string }[] = [];
  private readonly pacer = new Pacer(() => this.write());
  private prompt: Prompt | null = null;
  /** What the prompt's redraw wrote, while a batch collects it to go out in the same write. */
  private redrawn: string | null = null;

  /**
   * `out` takes stdout's text; `err` stderr's, or null when stderr goes where stdout goes (then
   * everything goes through `out`, in one order).
   */
  constructor(
    private readonly out: Sink,
    private readonly err: Sink | null,
  ) {}

  /** Console text for stdout: whole lines. */
  print(text: string): void {
    this.add(1, text);
  }

  /** Log text for stderr: whole lines. */
  log(text: string): void {
    this.add(2, text);
  }

  /** Text for stdout now, outside any batch: a terminal's echo of what the operator types. */
  raw(text: string): void {
    if (this.redrawn !== null) this.redrawn += text;
    else this.out.write(text);
  }

  /** While a prompt is set, every batch for stdout keeps it below (see the file comment). */
  hold(prompt: Prompt | null): void {
    this.prompt = prompt;
  }

  /**
   * Writes what this turn has gathered and waits until the streams have taken it (before the
   * process exits), at most `ms`: a terminal or pipe nobody reads must not hold up the exit.
   */
  end(ms = 2000): Promise<void> {
    this.prompt = null;
    this.pacer.now();
    const sinks = this.err === null ? [this.out] : [this.out, this.err];
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    const ended = Promise.all(sinks.map((s) => new Promise<void>((resolve) => s.end(resolve))));
    return Promise.race([ended.then(() => undefined), late]).finally(() => clearTimeout(timer));
  }

  private add(fd: Fd, text: string): void {
    this.pending.push({ fd, text });
    this.pacer.schedule();
  }

  private write(): void {
    if (this.pending.length === 0) return;
    const parts = this.pending;
    this.pending = [];
    let out = '';
    let err = '';
    for (const p of parts) {
      if (p.fd === 1 || this.err === null) out += p.text;
      else err += p.text;
    }
    if (err !== '') this.err!.write(err);
    if (out === '') return;
    const prompt = this.prompt;
    if (!prompt) return void this.out.write(out);
    // Erase, output and the prompt drawn again in one write: in separate writes the terminal
    // could show (or be read) with the prompt gone between them.
    const erase = prompt.erase();
    this.redrawn = '';
    try {
      prompt.redraw();
    } finally {
      const drawn = this.redrawn;
      this.redrawn = null;
      this.out.write(erase + out + drawn);
    }
  }
}
