/**
 * The screen and keyboard: a terminal when both stdin and stdout are one (tty.ts), otherwise
 * lines in and lines out (pipe.ts). With the keyboard on a terminal but the output going to a
 * pipe, drawing a prompt would put escape sequences into the pipe, so that too counts as a pipe
 * (and the terminal's own line editing and echo stay on).
 */
import { PipeTerminal } from './pipe.js';
import { TtyTerminal } from './tty.js';
import type { Terminal } from './ui.js';

export interface TerminalOptions {
  /** Colour the output (NO_COLOR, or no terminal, turns it off). */
  color: boolean;
  /** Ring the bell on mentions, private messages and requests (--no-bell turns it off). */
  bell: boolean;
  /** Ctrl-C before the chat has started: leave at once. */
  abort: () => void;
}

export function openTerminal(input: NodeJS.ReadStream, output: NodeJS.WriteStream, options: TerminalOptions): Terminal {
  if (input.isTTY && output.isTTY) return new TtyTerminal(input, output, options);
  return new PipeTerminal(input, output, options.color, options.abort);
}
