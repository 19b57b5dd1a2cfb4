/**
 * Names as long in bytes as a name can be: 32 characters of one script that take four bytes each
 * in UTF-8 (Han, Extension B), for the limits that count bytes.
 */

/** The i-th (0 to 999) of such names, 128 bytes each, in the order of i when sorted. */
export function longName(i: number): string {
  const stem = Array.from({ length: 29 }, (_, k) => 0x20000 + k);
  return String.fromCodePoint(...stem, 0x20064 + Math.floor(i / 100), 0x200c8 + (Math.floor(i / 10) % 10), 0x2012c + (i % 10));
}
