/**
 * Accounts under names the name rules (common/names.ts) now refuse. A rule added later (no
 * invisible characters, no stray marks) does not rename what was saved before it: an account
 * `alice` + U+034F still exists, and can no longer log in, since every login checks the name it
 * is given. The server says so once at start, with the names shown so that what cannot be seen
 * can be read (`alice\u034f`), and `chat-server --rename-user` gives such an account a valid name.
 */
import { nameProblem } from '../../common/names.js';

/** Names shown in the start's warning; the rest are counted. */
const SHOWN = 5;

/** The names of `names` that the name rules refuse, in the order given. */
export function refusedNames(names: Iterable<string>): string[] {
  const refused: string[] = [];
  for (const name of names) if (nameProblem(name) !== null) refused.push(name);
  return refused;
}

/** The start's warning about `refused` (see refusedNames), or null when there are none. */
export function refusedNamesWarning(refused: readonly string[]): string | null {
  if (refused.length === 0) return null;
  const n = refused.length;
  const shown = refused.slice(0, SHOWN).map(escapeName).join(', ');
  const more = n > SHOWN ? ` and ${n - SHOWN} more` : '';
  return (
    `${n} account${n === 1 ? ' has a name' : 's have names'} the name rules now refuse, and cannot log in: ${shown}${more}; ` +
    `rename ${n === 1 ? 'it' : 'each'} with chat-server --rename-user OLD NEW while the server is stopped (README, "Accounts under names now refused")`
  );
}

/** What cannot be seen or could be taken for something else, and the backslash that escapes. */
const HIDDEN = /[\p{Default_Ignorable_Code_Point}\p{M}\p{C}\p{Z}\\]/gu;

/** `name` with its invisible characters, marks, spaces and controls written as \uXXXX (or \u{XXXXX}). */
export function escapeName(name: string): string {
  return name.replace(HIDDEN, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The name escapeName wrote as `text` (a name as the warning shows it, as typed on a command line). */
export function unescapeName(text: string): string {
  return text.replace(/\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})/g, (_, long: string | undefined, short: string | undefined) =>
    String.fromCodePoint(parseInt(long ?? short!, 16)),
  );
}
