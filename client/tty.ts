/**
 * The client on a terminal: raw keys into the line editor, lines from the server printed above
 * the line being typed, which is redrawn intact with the cursor where it was.
 *
 * Keys come from node:readline's emitKeypressEvents (which decodes escape sequences and the
 * bracketed-paste markers); the editor (editor.ts) decides what they do, input-view.ts where
 * things go, screen.ts how to draw them. A paste arrives between the markers and is inserted as
 * text, newlines included, so a pasted block becomes one message, sent with Enter.
 */
import readline from 'node:readline';
import { LineEditor, type Key } from './editor.js';
import { TerminalProgress } from './files/progress.js';
import type { DisplayLine } from './format.js';
import { layoutInput } from './input-view.js';
import { paint } from './paint.js';
import { promptText, type Prompt } from './prompt.js';
import { Screen } from './screen.js';
import { fitWidth } from './text-width.js';
import { OUTPUT_BOUND, type ChatHandlers, type Terminal } from './ui.js';

const PASTE_ON = '\x1b[?2004h';
const PASTE_OFF = '\x1b[?2004l';
const BELL = '\x07';

export interface TtyOptions {
  color: boolean;
  bell: boolean;
  /** Ctrl-C before the chat has started (at a login question, or while connecting). */
  abort: () => void;
}

type Input = NodeJS.ReadStream;

export class TtyTerminal implements Terminal {
  readonly interactive = true;
  private readonly editor = new LineEditor();
  private readonly screen: Screen;
  /** Rows shown above the input line (progress bars), redrawn with it. */
  private bars: readonly string[] = [];
  /** The connection's state while it is not in use (see Ui.status): a row above the bars. */
  private connection: string | null = null;
  readonly progress = new TerminalProgress(
    (rows) => {
      this.bars = rows;
      this.render();
    },
    () => this.screen.width,
  );
  /** A login question, or the chat's prompt in full (the one drawn is fitted to the width). */
  private prompt = '';
  private chatPrompt: Prompt | null = null;
  /** The chat's prompt as fitted to `width`: drawn for every key, fitted again only when either changed. */
  private fitted: { width: number; text: string } | null = null;
  private hidden = false;
  private asking: ((line: string | null) => void) | null = null;
  private chat: ChatHandlers | null = null;
  /** Lines entered before anyone asked for them. */
  private readonly queue: string[] = [];
  private ended = false;
  private closed = false;
  /** The raw text of a paste in progress, or null. */
  private pasted: string | null = null;
  private readonly onKey = (_s: string | undefined, k: Key | undefined) => this.key(k ?? {});
  private readonly onResize = () => this.render();

  constructor(
    private readonly input: Input,
    private readonly output: NodeJS.WriteStream,
    private readonly options: TtyOptions,
  ) {
    this.screen = new Screen(output);
    // Lines typed before the chat starts are answers (or typed ahead for them): one line each.
    this.editor.multiline = false;
    readline.emitKeypressEvents(input);
    input.on('keypress', this.onKey);
    input.on('end', () => this.inputEnded());
    output.on('resize', this.onResize);
    this.enter();
  }

  ask(question: string, hidden: boolean): Promise<string | null> {
    if (this.queue.length > 0 || this.ended) {
      this.screen.update([question], this.view());
      return Promise.resolve(this.queue.shift() ?? null);
    }
    return new Promise((resolve) => {
      this.asking = resolve;
      this.prompt = `${question} `;
      this.hidden = hidden;
      this.editor.multiline = false;
      this.render();
    });
  }

  show(lines: readonly DisplayLine[]): boolean {
    if (this.closed) return true;
    const width = this.screen.width;
    const rows = lines.flatMap((l) => paint(l, width, this.options.color));
    this.screen.update(rows, this.view());
    return this.output.writableLength < OUTPUT_BOUND;
  }

  whenDrained(fn: () => void): void {
    this.output.once('drain', fn);
  }

  status(text: string | null): void {
    if (text === this.connection) return;
    // A wait between login questions: a line typed ahead before it (while the refused login was
    // on its way) is stale, and would be taken, unseen, for the next answer.
    if (text !== null && !this.chat && !this.asking) this.queue.length = 0;
    this.connection = text;
    this.render();
  }

  setPrompt(prompt: Prompt): void {
    // Set after every message the session handles: redrawn only when it says something new.
    const full = promptText(prompt);
    if (full === this.prompt && this.chatPrompt) return;
    this.prompt = full;
    this.chatPrompt = prompt;
    this.fitted = null;
    if (this.chat) this.render();
  }

  bell(): void {
    if (this.options.bell && !this.closed) this.screen.raw(BELL);
  }

  clear(): void {
    if (!this.closed) this.screen.clear(this.view());
  }

  startChat(handlers: ChatHandlers): void {
    this.chat = handlers;
    this.hidden = false;
    this.editor.multiline = true;
    while (this.queue.length > 0 && this.chat === handlers && !this.closed) handlers.line(this.queue.shift()!);
    if (this.closed) return;
    if (this.ended) return handlers.end();
    this.render();
  }

  firstLine(): Promise<string | null> {
    return this.ask('Password:', true);
  }

  /** Ctrl-C on the empty line (or at a login question), or SIGINT/SIGTERM from outside (main.ts). */
  interrupt(): void {
    if (this.chat) return this.chat.interrupt();
    this.close();
    this.options.abort();
  }

  /** Lets go of the keyboard: the input area is wiped, so the shell starts on a clean line. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chat = null;
    this.screen.update([], null);
    this.input.off('keypress', this.onKey);
    this.output.off('resize', this.onResize);
    this.leave();
    this.input.pause();
  }

  /** Puts the terminal back as it was, at once (main.ts calls this on any exit). */
  leave(): void {
    if (this.input.isRaw) this.input.setRawMode(false);
    this.screen.raw(PASTE_OFF);
  }

  private enter(): void {
    this.input.setRawMode(true);
    this.input.resume();
    this.screen.raw(PASTE_ON);
  }

  private view() {
    if (this.closed) return null;
    if (!this.asking && !this.chat) return this.between();
    const { text, cursor } = this.editor;
    // A bar is cut to the width when it is drawn; after a resize it may be wider until its next
    // update, and a row wider than the screen is wrapped by the terminal into rows the wipe does
    // not know of (a stale copy stayed on screen).
    const bars = this.bars.map((r) => fitWidth(r, this.screen.width - 1));
    const rows = this.connection === null ? bars : [...this.connectionRows(this.connection), ...bars];
    const status = this.chat ? rows.slice(0, Math.max(0, this.screen.height - 3)) : [];
    const prompt = this.chat && this.chatPrompt ? this.fittedPrompt(this.chatPrompt) : this.prompt;
    const input = layoutInput(prompt, text, cursor, this.screen.width, this.hidden, this.screen.height - 1 - status.length);
    if (status.length === 0) return input;
    return { rows: [...status, ...input.rows], cursorRow: input.cursorRow + status.length, cursorCol: input.cursorCol };
  }

  /**
   * Between login questions nothing is typed, but a status may say why nothing is asked yet (a
   * wait the server asked for): its rows, and the cursor below them, where the question will be.
   */
  private between() {
    if (!this.waiting) return null;
    const rows = this.connectionRows(this.connection!);
    return { rows: [...rows, ''], cursorRow: rows.length, cursorCol: 0 };
  }

  /**
   * A status says why no question is asked yet. What is typed meanwhile goes nowhere: kept, it
   * would be sent unseen as the next answer, or stick to the front of the password typed there.
   */
  private get waiting(): boolean {
    return !this.asking && !this.chat && this.connection !== null;
  }

  /**
   * The connection's rows: its text wrapped to the width, hanging under the text (dimmed where
   * colour is on). Every row of it: a cut one lost the reason an attempt failed, at its end.
   */
  private fittedPrompt(prompt: Prompt): string {
    const width = this.screen.width;
    if (this.fitted?.width !== width) this.fitted = { width, text: promptText(prompt, width) };
    return this.fitted.text;
  }

  private connectionRows(text: string): string[] {
    return paint({ text: `-- ${text}`, style: 'history', indent: 3 }, this.screen.width - 1, this.options.color);
  }

  private render(): void {
    if (!this.closed) this.screen.update([], this.view());
  }

  private key(k: Key): void {
    if (this.closed) return;
    if (k.name === 'paste-start') return void (this.pasted = '');
    if (k.name === 'paste-end') return this.pasteEnded();
    if (this.pasted !== null) return void (this.pasted += k.sequence ?? '');
    const event = this.editor.key(k);
    if (this.waiting && (event === 'edit' || event === 'submit')) return this.editor.set('');
    switch (event) {
      case 'submit':
        return this.submit();
      case 'complete':
        return this.complete();
      case 'eof':
        return this.inputEnded();
      case 'interrupt':
        return this.interrupt();
      case 'cancel':
        return this.cancel();
      case 'clear':
        // In the chat through the chat, which starts /history again from the newest lines.
        return this.chat ? this.chat.clear() : this.clear();
      case 'suspend':
        return this.suspend();
      case 'edit':
        return this.render();
      case 'none':
        return;
    }
  }

  /**
   * Ctrl-C on a typed line, which the editor has dropped. In the chat that is all: logging out
   * (which in a private chat ends it for the partner too) takes Ctrl-C on the empty line. At a
   * login question it leaves at once, typed or not, as a password prompt does.
   */
  private cancel(): void {
    if (this.chat) return this.render();
    this.interrupt();
  }

  private pasteEnded(): void {
    // A trailing line end is the copy's, not the sender's wish to send: Enter sends.
    const text = (this.pasted ?? '').replace(/[\r\n]+$/, '');
    this.pasted = null;
    if (this.waiting) return;
    if (this.editor.insert(text) === 'edit') this.render();
  }

  private submit(): void {
    const line = this.editor.take();
    if (this.asking) {
      const resolve = this.asking;
      this.asking = null;
      // The question and its answer stay on screen, as on any terminal; a password does not.
      this.screen.update([this.prompt + (this.hidden ? '' : line)], null);
      this.hidden = false;
      return resolve(line);
    }
    if (!this.chat) {
      this.queue.push(line);
      return;
    }
    // The typed line goes: the server's echo, with its time, takes its place (as in irssi).
    this.editor.remember(line);
    this.render();
    this.chat.line(line);
  }

  private complete(): void {
    const done = this.chat?.complete(this.editor.text, this.editor.cursor);
    if (!done) return;
    this.editor.set(done.text, done.cursor);
    this.render();
  }

  private inputEnded(): void {
    this.ended = true;
    if (this.asking) {
      const resolve = this.asking;
      this.asking = null;
      this.screen.update([this.prompt], null);
      return resolve(null);
    }
    this.chat?.end();
  }

  /** Ctrl-Z: hand the terminal back to the shell; carry on where we were when continued. */
  private suspend(): void {
    this.screen.update([], null);
    this.leave();
    // The whole process group (npm and its shell too, under `npm run client`), as the terminal
    // itself would stop it, so the shell sees its job stop.
    process.kill(0, 'SIGTSTP');
    // Here once continued (or at once, where job control is off).
    this.enter();
    this.render();
  }
}
