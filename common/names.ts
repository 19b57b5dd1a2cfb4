/**
 * Username rules, shared so the client can check before sending.
 *
 * People write their names in their own script (Mücahit, Şimşek, Анна, 名前), so a name may use
 * the letters of any one script, with ASCII digits, `_`, `-` and `.`. What stays out is what lets
 * one name pass for another or hides in it:
 * - letters of two scripts in one name ("pаypal" with a Cyrillic а), except the scripts that are
 *   written together (Han with Hiragana and Katakana, Han with Hangul);
 * - a whole name in Cyrillic or Greek made only of letters that look Latin ("аре" is not "ape");
 * - Latin letters of phonetics, not of any spelling, drawn as a plain letter: small capitals
 *   ("ᴀlice" reads as Alice) and the Latin alpha and script g ("ɑlice" reads as alice);
 * - compatibility forms that only look like letters (fullwidth ａ, the Kelvin sign K, ligatures):
 *   a name must not change under NFKC normalisation;
 * - invisible characters, marks among them (U+034F COMBINING GRAPHEME JOINER, variation selectors,
 *   Hangul fillers): "alice" and "alice" + U+034F would be two accounts that print alike;
 * - a mark (an accent, a vowel sign) that is on no letter: at the start, after a digit or `_`, or
 *   more than MAX_MARKS of them stacked on one letter (a name that spills over the lines near it);
 * - everything else: spaces, symbols, emoji, invisible format characters, controls.
 * Names are kept in NFC form and are unique without regard to case, so every lookup goes through
 * {@link foldName}.
 */
export const NAME_RULE = '1 to 32 characters: letters of one script, digits, "_", "-" or "."';

const MAX = 32;
/** Any character a name may hold at all: a letter, a combining mark, an ASCII digit, _ - . */
const ALLOWED = /^[\p{L}\p{M}0-9_.-]+$/u;
/** Characters that show nothing (Unicode's own list, marks and letters among them). */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;
const LETTER = /^\p{L}$/u;
const MARK = /^\p{M}$/u;
/** Marks of no one script (most accents): they take the script of the letter they are on. */
const ANY_SCRIPT = /^[\p{Script=Inherited}\p{Script=Common}]$/u;
/**
 * Marks one letter may carry. Real names need few: Vietnamese ệ is one letter and one mark after
 * NFC, Thai and Devanagari put two on a consonant, Tibetan stacks three (སྒྲོ).
 */
const MAX_MARKS = 4;

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

/**
 * Latin letters that phoneticians use and no orthography does, each drawn as a plain letter: the
 * small capitals (Phonetic Extensions and IPA's ʙ ɢ ʜ ɪ ʟ ɴ ʀ ʏ), Latin alpha ɑ and script ɡ (and
 * their capitals Ɑ, Ɡ).
 * IPA letters that languages do write (ɛ ɔ ə ɓ ɗ ŋ ʋ, in Ewe, Hausa, Akan…) are not among them.
 */
const PHONETIC_LOOK_ALIKES = new Set([...'ᴀᴄᴅᴇᴊᴋᴍᴏᴘᴛᴜᴠᴡᴢꜰꜱʙɢʜɪʟɴʀʏɑⱭɡꞬ']);

function scriptOf(letter: string): string | undefined {
  return SCRIPTS.find((s) => s.re.test(letter))?.name;
}

/** A name of ASCII letters, digits, _ - . only, of a valid length. */
const PLAIN = new RegExp(`^[A-Za-z0-9_.-]{1,${MAX}}$`);

/** Names no user may take: the IRC side's service nick (see server/net/irc/). */
const RESERVED = new Set(['tinychat']);

/** Why `name` is not a valid username, or null when it is. Checks the NFC form of `name`. */
export function nameProblem(name: string): string | null {
  // Most names are plain ASCII, which no rule below can refuse but the reserved one: checking
  // every account at start (see server/store/refused-names.ts) took 6 µs a name without this.
  if (PLAIN.test(name) && !RESERVED.has(foldName(name))) return null;
  const nfc = name.normalize('NFC');
  if (RESERVED.has(foldName(nfc))) return `"${nfc}" is reserved for the server; choose another name`;
  const chars = [...nfc];
  if (chars.length === 0 || chars.length > MAX || !ALLOWED.test(nfc)) return `use ${NAME_RULE}`;
  if (INVISIBLE.test(nfc)) return `use ${NAME_RULE} (no invisible characters)`;
  if (!marksOnLetters(chars)) return `use ${NAME_RULE} (accents and other marks go on a letter, at most ${MAX_MARKS} to one)`;
  if (nfc.normalize('NFKC') !== nfc) return `use ${NAME_RULE} (no look-alike forms such as fullwidth letters)`;
  const scripts = scriptsOf(chars);
  if (scripts === null) return `use ${NAME_RULE}`;
  if (scripts.size > 1 && !TOGETHER.some((group) => [...scripts].every((s) => group.includes(s)))) {
    return `use ${NAME_RULE} (this name mixes ${[...scripts].join(' and ')})`;
  }
  const phonetic = chars.find((c) => PHONETIC_LOOK_ALIKES.has(c));
  if (phonetic !== undefined) return `use ${NAME_RULE} (${phonetic} is a phonetic letter drawn as a plain one; write the letter itself)`;
  const [only] = scripts;
  if (scripts.size === 1 && (only === 'Cyrillic' || only === 'Greek') && looksLatin(chars)) {
    return `use ${NAME_RULE} (this name looks like a Latin one)`;
  }
  return null;
}

/** Whether every mark follows a letter (or a mark on one), at most MAX_MARKS to a letter. */
function marksOnLetters(chars: readonly string[]): boolean {
  let marks = -1; // marks on the letter just read; -1: no letter to put one on
  for (const c of chars) {
    if (!MARK.test(c)) marks = LETTER.test(c) ? 0 : -1;
    else if (marks < 0 || ++marks > MAX_MARKS) return false;
  }
  return true;
}

/**
 * The scripts of a name's letters and of its marks that belong to one (a Devanagari vowel sign on a
 * Latin letter mixes scripts as a Devanagari letter would); null when one is of no script we know.
 */
function scriptsOf(chars: readonly string[]): Set<string> | null {
  const scripts = new Set<string>();
  for (const c of chars) {
    if (!LETTER.test(c) && !(MARK.test(c) && !ANY_SCRIPT.test(c))) continue;
    const script = scriptOf(c);
    if (script === undefined) return null;
    scripts.add(script);
  }
  return scripts;
}

/**
 * Whether every letter looks Latin, accents aside: a Cyrillic ё is е with a diaeresis and reads as
 * Latin ë, so it is taken as its base letter, е.
 */
function looksLatin(chars: readonly string[]): boolean {
  return chars.filter((c) => LETTER.test(c)).every((c) => LATIN_LOOKING.has(c.normalize('NFD')[0]!));
}

/**
 * `base` numbered `n` (alice_2, alice_3): the name a guest asking for a name in use gets. A long
 * name is cut to leave room for the number, and the cut must not undo a rule the whole name kept:
 * a Cyrillic name whose one letter that does not look Latin is cut off is a look-alike. So the
 * longest cut that makes a valid name is taken; null when none does (no shorter cut will either
 * for a larger `n`).
 */
export function numberedName(base: string, n: number): string | null {
  const suffix = `_${n}`;
  const chars = [...base.normalize('NFC')];
  for (let keep = Math.min(chars.length, MAX - suffix.length); keep > 0; keep--) {
    const name = `${chars.slice(0, keep).join('')}${suffix}`;
    if (name === name.normalize('NFC') && nameProblem(name) === null) return name;
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
