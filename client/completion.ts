/**
 * Tab completion of the word before the cursor. Pure.
 *
 * A word that starts the line and starts with `/` completes to a command; any other word to a
 * user name, as irssi does: at the start of the line the name gets `: ` (addressing someone),
 * elsewhere a blank; after `@` it stays an @-address. Several matches complete as far as they
 * agree, and are returned so the terminal can list them.
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

/**
 * Completes the word that ends at `cursor` in `text` against `names` (users) and `commands`
 * (such as `/who`); null when nothing matches.
 */
export function complete(text: string, cursor: number, names: readonly string[], commands: readonly string[]): Completion | null {
  const before = text.slice(0, cursor);
  const word = /[^\s]*$/.exec(before)![0];
  const start = cursor - word.length;
  const first = before.slice(0, start).trim() === '';
  if (word === '' || (word.startsWith('/') && !first)) return null;
  let pool: string[];
  if (word.startsWith('/')) pool = [...commands];
  else if (word.startsWith('@')) pool = [...(first ? ['@PM'] : []), ...names.map((n) => `@${n}`)];
  else pool = [...names];
  const matches = pool.filter((p) => foldName(p).startsWith(foldName(word)));
  if (matches.length === 0) return null;
  let insert: string;
  if (matches.length === 1) {
    const plain = !word.startsWith('/') && !word.startsWith('@');
    const suffix = plain && first ? ': ' : ' ';
    // Unless a blank is already there: then just move past it.
    insert = text.slice(cursor).startsWith(' ') ? matches[0]! : matches[0]! + suffix;
  } else {
    const common = commonStart(matches);
    insert = common.length >= word.length ? common : word;
  }
  const after = text.slice(cursor);
  const skip = matches.length === 1 && after.startsWith(' ') ? 1 : 0;
  return {
    text: text.slice(0, start) + insert + after,
    cursor: start + insert.length + skip,
    candidates: matches.length > 1 ? matches : [],
  };
}
