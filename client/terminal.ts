/**
 * The screen and keyboard, through node:readline.
 *
 * On a terminal, incoming lines never garble what the user is typing (seed 002's first problem):
 * the prompt and the half-typed line are wiped, the new lines printed, and both redrawn with the
 * cursor where it was. Passwords are read with echo muted and kept out of the history.
 *
 * From a pipe there is no prompt and no echo: each line is read in turn, first as answers to the
 * login questions, then as chat lines, and the end of input ends the session.
 */
import readline from 'node:readline';
import { Writable } from 'node:stream';
import type { DisplayLine, Style } from './format.js';
import type { Ui } from './session.js';

type ChatHandlers = Parameters<Ui['startChat']>[0];

const COLORS: Record<Style, string> = { chat: '', info: '', private: '\x1b[35m', notice: '\x1b[36m', error: '\x1b[31m' };
const RESET = '\x1b[0m';

/**
 * What readline writes to on a terminal: stdout, except while a password is typed. A stream of
 * our own is the documented way to silence readline's echo.
 */
class MutableOutput extends Writable {
  muted = false;
  readonly isTTY = true;

  constructor(private readonly target: NodeJS.WriteStream) {
    super();
    target.on('resize', () => this.emit('resize'));
  }

  get columns(): number {
    return this.target.columns;
  }

  get rows(): number {
    return this.target.rows;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    if (!this.muted) this.target.write(chunk);
    done();
  }
}

export class Terminal implements Ui {
  readonly interactive: boolean;
  private readonly rl: readline.Interface;
  private readonly echo: MutableOutput | null = null;
  /** Lines read before anyone asked for them (a pipe delivers everything at once). */
  private readonly queue: string[] = [];
  private ended = false;
  private asking: ((line: string | null) => void) | null = null;
  private chat: ChatHandlers | null = null;
  private closed = false;

  constructor(
    input: NodeJS.ReadableStream & { isTTY?: boolean },
    private readonly output: NodeJS.WriteStream,
    private readonly color: boolean,
    /** Ctrl-C before the chat has started (at a login question, or while connecting): leave at once. */
    private readonly abort: () => void = () => {},
  ) {
    this.interactive = input.isTTY === true;
    if (this.interactive) {
      this.echo = new MutableOutput(output);
      this.rl = readline.createInterface({ input, output: this.echo, terminal: true, prompt: '> ' });
      // The documented hook for keeping a line out of the history: used for passwords.
      this.rl.on('history', (history: string[]) => {
        if (this.hiding) history.shift();
      });
    } else {
      this.rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
    }
    this.rl.on('line', (line) => this.read(line));
    this.rl.on('close', () => this.inputEnded());
    this.rl.on('SIGINT', () => this.interrupt());
  }

  ask(question: string, hidden: boolean): Promise<string | null> {
    if (this.queue.length > 0 || this.ended) {
      this.output.write(`${question}\n`);
      return Promise.resolve(this.queue.shift() ?? null);
    }
    return new Promise((resolve) => {
      this.asking = resolve;
      if (!this.interactive) return void this.output.write(`${question}\n`);
      this.rl.setPrompt(`${question} `);
      this.rl.prompt();
      if (hidden) this.echo!.muted = true;
    });
  }

  show(lines: readonly DisplayLine[]): void {
    const text = lines.map((l) => this.paint(l)).join('\n') + '\n';
    if (!this.chatting()) return void this.output.write(text);
    this.wipePrompt();
    this.output.write(text);
    this.rl.prompt(true);
  }

  setPrompt(prompt: string): void {
    this.rl.setPrompt(prompt);
    if (!this.chatting()) return;
    this.wipePrompt();
    this.rl.prompt(true);
  }

  startChat(handlers: ChatHandlers): void {
    this.chat = handlers;
    while (this.queue.length > 0 && this.chat === handlers && !this.closed) handlers.line(this.queue.shift()!);
    if (this.closed) return;
    if (this.ended) return handlers.end();
    if (this.interactive) this.rl.prompt();
  }

  /** Ctrl-C on the terminal, or SIGINT/SIGTERM from outside (main.ts). */
  interrupt(): void {
    if (this.chat) return this.chat.interrupt();
    if (this.echo) {
      // Leave the prompt's line (and the muted state) behind before the shell gets the terminal.
      this.echo.muted = false;
      this.output.write('\n');
    }
    this.abort();
  }

  /** Lets go of the keyboard. The prompt line is cleared so the shell starts on a clean line. */
  close(): void {
    if (this.closed) return;
    if (this.chatting()) this.wipePrompt();
    this.closed = true;
    this.chat = null;
    this.rl.removeAllListeners('close');
    this.rl.close();
  }

  /** A password is being typed: echo is muted. */
  private get hiding(): boolean {
    return this.echo?.muted === true;
  }

  private chatting(): boolean {
    return this.interactive && this.chat !== null && !this.closed;
  }

  /** Moves to the first row of the prompt and clears it and everything typed after it. */
  private wipePrompt(): void {
    readline.moveCursor(this.output, 0, -this.rl.getCursorPos().rows);
    readline.cursorTo(this.output, 0);
    readline.clearScreenDown(this.output);
  }

  private read(line: string): void {
    if (this.asking) return this.answer(line);
    if (this.chat) return this.chat.line(line);
    this.queue.push(line);
  }

  private answer(line: string | null): void {
    const resolve = this.asking;
    this.asking = null;
    if (this.hiding) {
      // Enter's newline was muted along with the password.
      this.echo!.muted = false;
      this.output.write('\n');
    }
    resolve?.(line);
  }

  private inputEnded(): void {
    this.ended = true;
    if (this.asking) return this.answer(null);
    if (this.chat) this.chat.end();
  }

  private paint(line: DisplayLine): string {
    const code = this.color ? COLORS[line.style] : '';
    return code ? `${code}${line.text}${RESET}` : line.text;
  }
}
