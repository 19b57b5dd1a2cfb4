/**
 * The client without a terminal (a script, a pipe): no prompt and no echo. Each input line is
 * read in turn, as the answer to a login question or as a chat line, and the end of input ends
 * the session. Passwords never come from here unless asked for with --password-stdin (main.ts):
 * a script's first chat line must not become its password.
 *
 * Output to a pipe is buffered by Node when the reader is slow; `show` says when too much is
 * waiting, so the session stops reading from the server and the server's limit for slow readers
 * applies, instead of this process growing without bound.
 */
import readline from 'node:readline';
import { NO_PROGRESS } from './files/progress.js';
import type { DisplayLine } from './format.js';
import { paint } from './paint.js';
import { OUTPUT_BOUND, type ChatHandlers, type Terminal } from './ui.js';

export class PipeTerminal implements Terminal {
  readonly interactive = false;
  /** Quiet: a pipe gets the lines that say a transfer started and ended, no bars. */
  readonly progress = NO_PROGRESS;
  private readonly rl: readline.Interface;
  /** Lines read before anyone asked for them (a pipe delivers everything at once). */
  private readonly queue: string[] = [];
  private ended = false;
  private asking: ((line: string | null) => void) | null = null;
  private chat: ChatHandlers | null = null;
  private closed = false;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WriteStream,
    /** Colour, when the output is a terminal after all (input from a pipe, output to a screen). */
    private readonly color = false,
    private readonly abort: () => void = () => {},
  ) {
    this.rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
    this.rl.on('line', (line) => this.read(line));
    this.rl.on('close', () => this.inputEnded());
  }

  ask(question: string): Promise<string | null> {
    this.output.write(`${question}\n`);
    return this.firstLine();
  }

  /** The next line of input, without a question. */
  firstLine(): Promise<string | null> {
    if (this.queue.length > 0 || this.ended) return Promise.resolve(this.queue.shift() ?? null);
    return new Promise((resolve) => (this.asking = resolve));
  }

  show(lines: readonly DisplayLine[]): boolean {
    // Wrapped by us on a screen, so that no row of another user's text starts a line (wrap.ts).
    const width = this.output.isTTY ? this.output.columns : 0;
    this.output.write(lines.flatMap((l) => paint(l, width, this.color)).map((r) => `${r}\n`).join(''));
    return this.output.writableLength < OUTPUT_BOUND;
  }

  /** A pipe keeps only lines: the session says in a line what came of a reconnect. */
  status(): void {}

  whenDrained(fn: () => void): void {
    this.output.once('drain', fn);
  }

  setPrompt(): void {}

  bell(): void {}

  clear(): void {}

  startChat(handlers: ChatHandlers): void {
    this.chat = handlers;
    while (this.queue.length > 0 && this.chat === handlers && !this.closed) handlers.line(this.queue.shift()!);
    if (this.closed) return;
    if (this.ended) handlers.end();
  }

  interrupt(): void {
    if (this.chat) return this.chat.interrupt();
    this.abort();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chat = null;
    this.rl.removeAllListeners('close');
    this.rl.close();
  }

  private read(line: string): void {
    if (this.asking) {
      const resolve = this.asking;
      this.asking = null;
      return resolve(line);
    }
    if (this.chat) return this.chat.line(line);
    this.queue.push(line);
  }

  private inputEnded(): void {
    this.ended = true;
    if (this.asking) {
      const resolve = this.asking;
      this.asking = null;
      return resolve(null);
    }
    this.chat?.end();
  }
}
