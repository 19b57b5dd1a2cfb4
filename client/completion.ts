/**
 * Tab completion of the word before the cursor. Pure.
 *
 * A word that starts the line and starts with `/` completes to a command; any other word to a
 * user name, as irssi does: at the start of the line the name gets `: ` (addressing someone),
 * elsewhere a blank; after `@` it stays an @-address. Several matches complete as far as they
 * agree, and are returned so the terminal can list them once; Tab again (nothing typed between)
 * puts each match in the line in turn, as zsh's menu completion does (TabCompleter).
 */
import { foldName } from '../common/names.js';

export interface Completion {
  readonly text: string;
  readonly cursor: number;
  /** Every match, when there was more than one. */
  readonly candidates: readonly string[];
}

/** The longest start that every string in `words` shares, compared without case. */
function commonStart(words: readonly string[]): string {
  let n = words[0]!.length;
  for (const w of words) {
    while (n > 0 && foldName(w.slice(0, n)) !== foldName(words[0]!.slice(0, n))) n--;
  }
  return words[0]!.slice(0, n);
}

/** The word that ends at `cursor`, where it starts, and whether it is the first on the line. */
function wordAt(text: string, cursor: number): { word: string; start: number; first: boolean } {
  const before = text.slice(0, cursor);
  const word = /[^\s]*$/.exec(before)![0];
  const start = cursor - word.length;
  return { word, start, first: before.slice(0, start).trim() === '' };
}

/**
 * Completes the word that ends at `cursor` in `text` against `names` (users) and `commands`
 * (such as `/who`); null when nothing matches.
 */
export function complete(text: string, cursor: number, names: readonly string[], commands: readonly string[]): Completion | null {
  const { word, start, first } = wordAt(text, cursor);
  if (word === '' || (word.startsWith('/') && !first)) return null;
  let pool: string[];
  if (word.startsWith('/')) pool = [...commands];
  else if (word.startsWith('@')) pool = [...(first ? ['@PM'] : []), ...names.map((n) => `@${n}`)];
  else pool = [...names];
  const matches = pool.filter((p) => foldName(p).startsWith(foldName(word)));
  if (matches.length === 0) return null;
  if (matches.length === 1) return put(text, start, cursor, matches[0]!, first);
  const common = commonStart(matches);
  const insert = common.length >= word.length ? common : word;
  return { text: text.slice(0, start) + insert + text.slice(cursor), cursor: start + insert.length, candidates: matches };
}

/**
 * `match` in place of `text` from `start` to `end`, followed as a single match is: a name at the
 * start of the line by `: ` (addressing someone), anything else by a blank, unless a blank is
 * already there (then the cursor moves past it).
 */
function put(text: string, start: number, end: number, match: string, first: boolean): Completion {
  const plain = !match.startsWith('/') && !match.startsWith('@');
  const after = text.slice(end);
  const skip = after.startsWith(' ');
  const insert = skip ? match : match + (plain && first ? ': ' : ' ');
  return { text: text.slice(0, start) + insert + after, cursor: start + insert.length + (skip ? 1 : 0), candidates: [] };
}

/** What a Tab did to the line, and the matches to list (the first Tab of several only). */
export interface TabResult {
  readonly text: string;
  readonly cursor: number;
  readonly list: readonly string[];
}

/**
 * Tab pressed again and again. The first Tab completes as far as the matches agree and lists them;
 * each further Tab, with the line as that Tab left it, puts the next match in the word's place
 * (after the last, the first again) and lists nothing: the list is on screen already, and a
 * second copy of it on every press pushed the chat off the screen. Anything typed, or the cursor
 * moved, starts afresh.
 */
export class TabCompleter {
  /** The matches, the one in the line, and the text it replaced: from `start` to `end`. */
  private cycle: { matches: readonly string[]; index: number; start: number; end: number; first: boolean; text: string; cursor: number } | null = null;

  complete(text: string, cursor: number, names: readonly string[], commands: readonly string[]): TabResult | null {
    const c = this.cycle;
    if (c && c.text === text && c.cursor === cursor) {
      c.index = (c.index + 1) % c.matches.length;
      const done = put(text, c.start, c.end, c.matches[c.index]!, c.first);
      // What was put in, with its ": " (not a blank that was there already, which it moved past).
      c.end = done.text.length - (text.length - c.end);
      c.text = done.text;
      c.cursor = done.cursor;
      return { text: done.text, cursor: done.cursor, list: [] };
    }
    this.cycle = null;
    const done = complete(text, cursor, names, commands);
    if (!done) return null;
    if (done.candidates.length > 0) {
      const { start, first } = wordAt(text, cursor);
      this.cycle = { matches: done.candidates, index: -1, start, end: done.cursor, first, text: done.text, cursor: done.cursor };
    }
    return { text: done.text, cursor: done.cursor, list: done.candidates };
  }
}

