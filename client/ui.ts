/**
 * What the session needs from the screen and keyboard: a terminal (tty.ts), a pipe (pipe.ts), or
 * a fake in tests. The session decides what to say; the Ui decides how it looks.
 */
import type { Progress } from './files/progress.js';
import type { DisplayLine } from './format.js';
import type { Prompt } from './prompt.js';

/** Where typed lines go once the chat has started. */
export interface ChatHandlers {
  line(text: string): void;
  /** The end of input (a pipe's end, Ctrl-D on an empty line). */
  end(): void;
  /** Ctrl-C, SIGINT, SIGTERM. */
  interrupt(): void;
  /** Ctrl-L: clear the screen, as /clear does. */
  clear(): void;
  /** Tab: the text and cursor after completing the word at `cursor`, or null for no change. */
  complete(text: string, cursor: number): { text: string; cursor: number } | null;
}

export interface Ui {
  /** A person is at a keyboard: questions, passwords included, may be asked (and asked again). */
  readonly interactive: boolean;
  /** Asks one question; null when the input has ended. `hidden`: do not echo (passwords). */
  ask(question: string, hidden: boolean): Promise<string | null>;
  /**
   * Shows lines. False when the output is backed up past its bound (stdout a pipe that nobody
   * reads): the caller should stop reading from the server until `whenDrained`.
   */
  show(lines: readonly DisplayLine[]): boolean;
  /** Calls `fn` once the output has room again. */
  whenDrained(fn: () => void): void;
  /** The chat's prompt, as parts: a terminal fits it to its width. */
  setPrompt(prompt: Prompt): void;
  /**
   * What the connection is doing while it is not in use (which server a reconnect tries), on a
   * row of its own above the input line; null clears it. Nothing on a pipe: the lines say it.
   */
  status(text: string | null): void;
  /** Rings the terminal bell (when there is a terminal and the bell is on). */
  bell(): void;
  /** Clears the screen (where there is one). */
  clear(): void;
  /** From now on, typed lines go to the handlers. */
  startChat(handlers: ChatHandlers): void;
  /** Progress bars of file transfers: above the input line on a terminal, none on a pipe. */
  readonly progress: Progress;
}

/** What main.ts needs besides: Ctrl-C from outside, and letting go of the terminal. */
export interface Terminal extends Ui {
  interrupt(): void;
  /**
   * The password for --password-stdin: the next line of input, without a question (on a
   * terminal, the hidden `Password:` question); null when the input has ended.
   */
  firstLine(): Promise<string | null>;
  close(): void;
}

/** Output held for a slow reader before the session stops reading from the server. */
export const OUTPUT_BOUND = 1 << 20;
