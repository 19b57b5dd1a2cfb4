/**
 * The line being typed: its text, the cursor, the history, and what each key does to them. Pure:
 * no terminal; keys come in as node:readline's keypress objects, and what the terminal must do
 * (send the line, complete a word, leave) comes back as an event.
 *
 * The text may hold newlines (Alt-Enter, or a paste), and the cursor moves over whole grapheme
 * clusters, so what is on screen, where the cursor is and what is sent always agree.
 */
import { graphemes } from './text-width.js';

/** A key as node:readline's emitKeypressEvents reports it. */
export interface Key {
  readonly name?: string | undefined;
  readonly ctrl?: boolean | undefined;
  readonly meta?: boolean | undefined;
  readonly shift?: boolean | undefined;
  readonly sequence?: string | undefined;
}

/**
 * What a key asks of the terminal beyond editing: `submit` the line (Enter), `complete` the word
 * (Tab), `eof` (Ctrl-D on an empty line), `interrupt` (Ctrl-C on an empty line), `cancel`
 * (Ctrl-C on a typed line, which it has dropped), `clear` the screen (Ctrl-L), `suspend`
 * (Ctrl-Z); `edit` when only the text or cursor changed, `none` when nothing did.
 */
export type EditorEvent = 'submit' | 'complete' | 'eof' | 'interrupt' | 'cancel' | 'clear' | 'suspend' | 'edit' | 'none';

/** Characters that may not be typed into a line: controls (but newline and tab), DEL, C1. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
const HISTORY_SIZE = 500;

export class LineEditor {
  text = '';
  /** Index into `text` (UTF-16), always at a grapheme boundary. */
  cursor = 0;
  /** Whether the text may hold newlines (chat lines may; answers to questions may not). */
  multiline = true;
  private readonly history: string[] = [];
  /** Position in the history while browsing it with Up and Down; history.length when not. */
  private browsing = 0;
  /** The line being typed before browsing began, restored by Down past the newest entry. */
  private draft = '';

  /** Handles one key; says what else the terminal must do. */
  key(k: Key): EditorEvent {
    const name = k.name ?? '';
    if (k.ctrl && !k.meta) return this.ctrlKey(name);
    if (k.meta) return this.metaKey(name);
    switch (name) {
      case 'return':
        return 'submit';
      case 'enter': // Ctrl-J: a newline, like Alt-Enter
        return this.lineFeed();
      case 'tab':
        return 'complete';
      case 'backspace':
        return this.deleteBack();
      case 'delete':
        return this.deleteForward();
      case 'left':
        return this.moveTo(this.previous());
      case 'right':
        return this.moveTo(this.next());
      case 'home':
        return this.moveTo(this.lineStart());
      case 'end':
        return this.moveTo(this.lineEnd());
      case 'up':
        return this.up();
      case 'down':
        return this.down();
    }
    const s = k.sequence ?? '';
    if (s === '' || CONTROL.test(s)) return 'none';
    return this.insert(s);
  }

  /** Inserts typed or pasted text at the cursor; controls are dropped, line ends become newlines. */
  insert(s: string): EditorEvent {
    let clean = s.replace(/\r\n?/g, '\n').replace(CONTROLS, '');
    if (!this.multiline) clean = clean.replace(/\n+/g, ' ');
    if (clean === '') return 'none';
    this.text = this.text.slice(0, this.cursor) + clean + this.text.slice(this.cursor);
    this.cursor += clean.length;
    return 'edit';
  }

  /** Replaces the text and cursor (a completion). */
  set(text: string, cursor = text.length): void {
    this.text = text;
    this.cursor = Math.max(0, Math.min(cursor, text.length));
  }

  /** Hands over the line (Enter) and starts an empty one. */
  take(): string {
    const line = this.text;
    this.set('');
    this.browsing = this.history.length;
    this.draft = '';
    return line;
  }

  /** Adds a sent line to the history (not passwords: the terminal never calls this for them). */
  remember(line: string): void {
    if (line.trim() === '' || this.history[this.history.length - 1] === line) return;
    this.history.push(line);
    if (this.history.length > HISTORY_SIZE) this.history.shift();
    this.browsing = this.history.length;
  }

  private ctrlKey(name: string): EditorEvent {
    switch (name) {
      case 'c':
        return this.text === '' ? 'interrupt' : this.cancel();
      case 'd':
        return this.text === '' ? 'eof' : this.deleteForward();
      case 'l':
        return 'clear';
      case 'z':
        return 'suspend';
      case 'a':
        return this.moveTo(this.lineStart());
      case 'e':
        return this.moveTo(this.lineEnd());
      case 'b':
        return this.moveTo(this.previous());
      case 'f':
        return this.moveTo(this.next());
      case 'left':
        return this.moveTo(this.wordStart());
      case 'right':
        return this.moveTo(this.wordEnd());
      case 'h':
        return this.deleteBack();
      case 'w':
        return this.cut(this.wordStart(), this.cursor);
      case 'u':
        return this.cut(this.lineStart(), this.cursor);
      case 'k':
        return this.cut(this.cursor, this.lineEnd());
      case 'p':
        return this.up();
      case 'n':
        return this.down();
      case 'j':
        return this.lineFeed();
      default:
        return 'none';
    }
  }

  private metaKey(name: string): EditorEvent {
    switch (name) {
      case 'return': // Alt-Enter: a newline in the message
        return this.newline();
      case 'b':
      case 'left':
        return this.moveTo(this.wordStart());
      case 'f':
      case 'right':
        return this.moveTo(this.wordEnd());
      case 'backspace':
        return this.cut(this.wordStart(), this.cursor);
      case 'd':
        return this.cut(this.cursor, this.wordEnd());
      default:
        return 'none';
    }
  }

  /**
   * Ctrl-C on a typed line drops it, unsent and not remembered, as a shell does: a half-typed
   * line is rarely meant as "leave", so only Ctrl-C on the empty line is an interrupt.
   */
  private cancel(): EditorEvent {
    this.take();
    return 'cancel';
  }

  private newline(): EditorEvent {
    return this.multiline ? this.insert('\n') : 'none';
  }

  /**
   * Ctrl-J: a newline in the text; in an answer to a question, Enter, as in readline. It is also
   * what Enter sends before the terminal is in raw mode: a name and password typed ahead while
   * the client started ("carol", Enter, "pw", Enter) came as "carol\npw" and went as one name.
   */
  private lineFeed(): EditorEvent {
    return this.multiline ? this.insert('\n') : 'submit';
  }

  private moveTo(i: number): EditorEvent {
    if (i === this.cursor) return 'none';
    this.cursor = i;
    return 'edit';
  }

  private cut(from: number, to: number): EditorEvent {
    if (from >= to) return 'none';
    this.text = this.text.slice(0, from) + this.text.slice(to);
    this.cursor = from;
    return 'edit';
  }

  private deleteBack(): EditorEvent {
    return this.cut(this.previous(), this.cursor);
  }

  private deleteForward(): EditorEvent {
    return this.cut(this.cursor, this.next());
  }

  /** The grapheme boundary before the cursor. */
  private previous(): number {
    if (this.cursor === 0) return 0;
    const before = graphemes(this.text.slice(0, this.cursor));
    return this.cursor - before[before.length - 1]!.length;
  }

  /** The grapheme boundary after the cursor. */
  private next(): number {
    if (this.cursor >= this.text.length) return this.text.length;
    return this.cursor + graphemes(this.text.slice(this.cursor))[0]!.length;
  }

  private lineStart(at = this.cursor): number {
    return this.text.lastIndexOf('\n', at - 1) + 1;
  }

  private lineEnd(at = this.cursor): number {
    const i = this.text.indexOf('\n', at);
    return i < 0 ? this.text.length : i;
  }

  /** Start of the word before the cursor (blanks, then the word). */
  private wordStart(): number {
    const m = /\S*\s*$/.exec(this.text.slice(0, this.cursor))!;
    return this.cursor - m[0].length;
  }

  /** End of the word after the cursor. */
  private wordEnd(): number {
    const m = /^\s*\S*/.exec(this.text.slice(this.cursor))!;
    return this.cursor + m[0].length;
  }

  /** Up: to the line above in a multi-line text, else to the previous history entry. */
  private up(): EditorEvent {
    const start = this.lineStart();
    if (start > 0) return this.moveTo(this.column(this.lineStart(start - 1), start - 1, this.cursor - start));
    if (this.browsing === 0) return 'none';
    if (this.browsing === this.history.length) this.draft = this.text;
    this.browsing--;
    this.set(this.history[this.browsing]!);
    return 'edit';
  }

  /** Down: to the line below, else to the next history entry (and back to the draft). */
  private down(): EditorEvent {
    const end = this.lineEnd();
    if (end < this.text.length) return this.moveTo(this.column(end + 1, this.lineEnd(end + 1), this.cursor - this.lineStart()));
    if (this.browsing >= this.history.length) return 'none';
    this.browsing++;
    this.set(this.browsing === this.history.length ? this.draft : this.history[this.browsing]!);
    return 'edit';
  }

  /** The boundary `offset` code units into the line [start, end), or its end; snapped to a grapheme. */
  private column(start: number, end: number, offset: number): number {
    let at = start;
    for (const g of graphemes(this.text.slice(start, end))) {
      if (at + g.length > start + offset) break;
      at += g.length;
    }
    return at;
  }
}
