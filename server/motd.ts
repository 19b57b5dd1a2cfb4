/**
 * The message of the day (--motd): a text file the room tells every user at login. Read
 * at start (a file that cannot be used stops the start, as any bad option does) and again by the
 * console's `motd`. It travels as one notice, so it is held to a notice's length and to the
 * rules of chat text: no control characters but newline and tab.
 */
import { readFileSync } from 'node:fs';
import { fileProblem } from '../common/file-errors.js';
import { textProblem } from '../common/text.js';

/** A notice's message holds at most 1,024 characters. */
export const MOTD_MAX = 1024;

export class MotdError extends Error {}

/** The file's text, trimmed of trailing blank lines, or null when it has none. */
export function readMotd(path: string): string | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new MotdError(`cannot read --motd file ${path}: ${fileProblem(e)}`);
  }
  return checkMotd(path, text);
}

/** Pure: the message a file's text gives, or why it cannot be one. */
export function checkMotd(path: string, text: string): string | null {
  const motd = text.replace(/\r\n/g, '\n').replace(/\s+$/, '');
  if (motd === '') return null;
  if (motd.length > MOTD_MAX) throw new MotdError(`--motd file ${path} is too long: ${motd.length} characters, at most ${MOTD_MAX}`);
  const problem = textProblem(motd);
  if (problem) throw new MotdError(`--motd file ${path} ${problem}`);
  return motd;
}
