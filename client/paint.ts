/**
 * Display lines as terminal rows: wrapped to the screen's width (wrap.ts) and, unless colour is
 * off (NO_COLOR, or not a terminal), coloured by style, with each sender's name in a colour of
 * its own and mentions of the user highlighted. Pure: returns strings, writes nothing.
 */
import { foldName } from '../common/names.js';
import type { DisplayLine, Style } from './format.js';
import { hangingIndent, wrap } from './wrap.js';

const SGR = (code: string) => (code ? `\x1b[${code}m` : '');
const RESET = '\x1b[0m';

/** History is dimmed (2): said before, visibly so (it is marked in words as well, for NO_COLOR). */
const STYLES: Record<Style, string> = { chat: '', info: '', private: '35', notice: '36', error: '31', history: '2' };
/** Bold yellow: a line that names the user. */
const MENTION = '1;33';
/**
 * Colours a name may get: green, yellow, blue, and the bright ones. Never red (errors), and
 * not the plain magenta and cyan of private lines and notices.
 */
const NAME_COLOURS = ['32', '33', '34', '92', '93', '94', '95', '96'] as const;

/** The colour of `name`: the same in every session and on every screen (FNV-1a of the folded name). */
export function nameColour(name: string): string {
  let h = 0x811c9dc5;
  for (const ch of foldName(name)) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return NAME_COLOURS[h % NAME_COLOURS.length]!;
}

/**
 * The rows `line` takes on a screen `width` columns wide (0: as one row, unwrapped), with
 * colours when `color`.
 */
export function paint(line: DisplayLine, width: number, color: boolean): string[] {
  const rows = wrap(line.text, width, hangingIndent(width, line.indent, line.hangs, line.keep), line.further === true);
  return rows.map(({ from, text, indent }) => {
    const pad = ' '.repeat(indent);
    if (!color) return pad + text;
    const base = SGR(line.mention ? MENTION : STYLES[line.style]);
    const end = base ? RESET : '';
    const s = line.sender;
    // The part of the sender's name on this row, if any.
    const a = s ? Math.max(s.at, from) - from : 0;
    const b = s ? Math.min(s.at + s.name.length, from + text.length) - from : 0;
    if (!s || a >= b) return `${pad}${base}${text}${end}`;
    const name = `${RESET}${SGR(nameColour(s.name))}${text.slice(a, b)}${RESET}${base}`;
    return `${pad}${base}${text.slice(0, a)}${name}${text.slice(b)}${end}`;
  });
}
