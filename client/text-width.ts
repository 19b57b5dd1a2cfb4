/**
 * How many terminal columns text takes, and where the cursor may stop in it. Pure.
 *
 * The screen code counts columns itself (it wraps lines and places the cursor without asking
 * the terminal), so its idea of a width must match the terminal's: combining marks and
 * invisible format characters take none, East Asian wide letters and emoji take two. The
 * editor moves over grapheme clusters, so an accented letter typed as two code points is one
 * step of the cursor.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Printable ASCII, newline and tab: each character is a cluster of its own. */
const SIMPLE = /^[\x20-\x7e\n\t]*$/;

/** The grapheme clusters of `s`, in order. */
export function graphemes(s: string): string[] {
  // The segmenter takes about 6 µs a character: every key in a pasted 30,000-character line
  // took a quarter of a second to lay out, most of it here.
  if (SIMPLE.test(s)) return s.split('');
  return Array.from(segmenter.segment(s), (g) => g.segment);
}

/** Marks that sit on the previous letter, and invisible format characters (ZWJ, variation selectors). */
const ZERO = /^[\p{Mn}\p{Me}\p{Cf}\u200b\ufe00-\ufe0f]$/u;

/** Code points a terminal draws two columns wide (East Asian Wide and Fullwidth, emoji). */
function wide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    cp === 0x2329 ||
    cp === 0x232a ||
    (cp >= 0x231a && cp <= 0x231b) ||
    (cp >= 0x23e9 && cp <= 0x23ec) ||
    (cp >= 0x25fd && cp <= 0x25fe) ||
    (cp >= 0x2614 && cp <= 0x2615) ||
    (cp >= 0x2648 && cp <= 0x2653) ||
    (cp >= 0x26aa && cp <= 0x26ab) ||
    (cp >= 0x26bd && cp <= 0x26be) ||
    (cp >= 0x26c4 && cp <= 0x26c5) ||
    cp === 0x26a1 ||
    cp === 0x26ce ||
    cp === 0x26d4 ||
    cp === 0x26ea ||
    (cp >= 0x26f2 && cp <= 0x26f3) ||
    cp === 0x26f5 ||
    cp === 0x26fa ||
    cp === 0x26fd ||
    cp === 0x2705 ||
    (cp >= 0x270a && cp <= 0x270b) ||
    cp === 0x2728 ||
    cp === 0x274c ||
    cp === 0x274e ||
    (cp >= 0x2753 && cp <= 0x2755) ||
    cp === 0x2757 ||
    (cp >= 0x2795 && cp <= 0x2797) ||
    cp === 0x27b0 ||
    cp === 0x27bf ||
    (cp >= 0x2b1b && cp <= 0x2b1c) ||
    cp === 0x2b50 ||
    cp === 0x2b55 ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xa960 && cp <= 0xa97f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe10 && cp <= 0xfe19) ||
    (cp >= 0xfe30 && cp <= 0xfe6f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x16fe0 && cp <= 0x18aff) ||
    (cp >= 0x1b000 && cp <= 0x1b2ff) ||
    cp === 0x1f004 ||
    cp === 0x1f0cf ||
    cp === 0x1f18e ||
    (cp >= 0x1f191 && cp <= 0x1f19a) ||
    (cp >= 0x1f200 && cp <= 0x1f251) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f680 && cp <= 0x1f6ff) ||
    (cp >= 0x1f7e0 && cp <= 0x1f7eb) ||
    (cp >= 0x1f90c && cp <= 0x1f9ff) ||
    (cp >= 0x1fa70 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** Columns one grapheme cluster takes: its first code point decides (the rest combine with it). */
export function graphemeWidth(g: string): number {
  const cp = g.codePointAt(0) ?? 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (ZERO.test(String.fromCodePoint(cp))) return 0;
  if (wide(cp)) return 2;
  // An emoji presentation selector makes a narrow symbol (❤ U+2764) a wide emoji.
  return g.includes('\ufe0f') ? 2 : 1;
}

/** Columns `s` takes on one row. */
export function textWidth(s: string): number {
  // Plain ASCII, the common case, is one column a character.
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  let w = 0;
  for (const g of graphemes(s)) w += graphemeWidth(g);
  return w;
}

/** The start of `s` that fits in `columns` columns (whole grapheme clusters). */
export function fitWidth(s: string, columns: number): string {
  if (textWidth(s) <= columns) return s;
  let out = '';
  let w = 0;
  for (const g of graphemes(s)) {
    const gw = graphemeWidth(g);
    if (w + gw > columns) break;
    out += g;
    w += gw;
  }
  return out;
}
