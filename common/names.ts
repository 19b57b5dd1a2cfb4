/**
 * Username rules, shared so the client can check before sending.
 *
 * People write their names in their own script (Mücahit, Şimşek, Анна, 名前), so a name may use
 * the letters of any one script, with ASCII digits, `_`, `-` and `.`. What stays out is what lets
 * one name pass for another or hides in it:
 * - letters of two scripts in one name ("pаypal" with a Cyrillic а), except the scripts that are
 *   written together (Han with Hiragana and Katakana, Han with Hangul);
 * - a whole name in Cyrillic or Greek made only of letters that look Latin ("аре" is not "ape");
 * - compatibility forms that only look like letters (fullwidth ａ, the Kelvin sign K, ligatures):
 *   a name must not change under NFKC normalisation;
 * - everything else: spaces, symbols, emoji, invisible format characters, controls.
 * Names are kept in NFC form and are unique without regard to case, so every lookup goes through
 * {@link foldName}.
 */
export const NAME_RULE = '1 to 32 characters: letters of one script, digits, "_", "-" or "."';

const MAX = 32;
/** Any character a name may hold at all: a letter, a combining mark, an ASCII digit, _ - . */
const ALLOWED = /^[\p{L}\p{M}0-9_.-]+$/u;

/** The scripts names are checked against; a letter of none of them is refused. */
const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Syriac', 'Thaana',
  'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada',
  'Malayalam', 'Sinhala', 'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Ethiopic', 'Mongolian',
  'Hangul', 'Hiragana', 'Katakana', 'Han', 'Bopomofo',
].map((name) => ({ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }));

/** Scripts that are written together in one name. */
const TOGETHER: readonly (readonly string[])[] = [
  ['Han', 'Hiragana', 'Katakana'],
  ['Han', 'Hangul'],
  ['Han', 'Bopomofo'],
];

/** Cyrillic and Greek letters that look like Latin ones, as written (м looks Latin only as М). */
const LATIN_LOOKING = new Set([
  ...'аеорсухіјѕԁһԛԝӏ', ...'АВЕЅІЈКМНОРСТУХ',
  ...'αιονρυχϲ', ...'ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ',
]);

function scriptOf(letter: string): string | undefined {
  return SCRIPTS.find((s) => s.re.test(letter))?.name;
}

/** Names no user may take: the IRC side's service nick (see server/net/irc/). */
const RESERVED = new Set(['tinychat']);

/** Why `name` is not a valid username, or null when it is. Checks the NFC form of `name`. */
export function nameProblem(name: string): string | null {
  const nfc = name.normalize('NFC');
  if (RESERVED.has(foldName(nfc))) return `"${nfc}" is reserved for the server; choose another name`;
  const chars = [...nfc];
  if (chars.length === 0 || chars.length > MAX || !ALLOWED.test(nfc)) return `use ${NAME_RULE}`;
  if (nfc.normalize('NFKC') !== nfc) return `use ${NAME_RULE} (no look-alike forms such as fullwidth letters)`;
  const scripts = new Set<string>();
  for (const c of chars) {
    if (!/\p{L}/u.test(c)) continue;
    const script = scriptOf(c);
    if (script === undefined) return `use ${NAME_RULE}`;
    scripts.add(script);
  }
  if (scripts.size > 1 && !TOGETHER.some((group) => [...scripts].every((s) => group.includes(s)))) {
    return `use ${NAME_RULE} (this name mixes ${[...scripts].join(' and ')})`;
  }
  const [only] = scripts;
  if (scripts.size === 1 && (only === 'Cyrillic' || only === 'Greek')) {
    const letters = chars.filter((c) => /\p{L}/u.test(c));
    if (letters.every((c) => LATIN_LOOKING.has(c))) return `use ${NAME_RULE} (this name looks like a Latin one)`;
  }
  return null;
}

/**
 * The key under which a name is unique: Alice and alice are one account, as are Straße and
 * STRASSE, and İrem and irem. NFC first (ü typed as u + ¨ is ü); then upper and lower case, which
 * folds ß and the Greek final sigma the way Unicode case folding does; and the dotted capital İ,
 * which lower-cases to i + U+0307, is taken as i.
 */
export function foldName(name: string): string {
  // ASCII (most names) folds by lower case alone: NFC and the upper-case step change nothing in
  // it. A third of a server's start with 100,000 accounts was this function (measured).
  if (ASCII.test(name)) return name.toLowerCase();
  return name.normalize('NFC').toUpperCase().toLowerCase().replace(/i\u0307/g, 'i');
}
const ASCII = /^[\x00-\x7f]*$/;
