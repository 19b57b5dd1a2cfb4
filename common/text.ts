/**
 * Rules for chat text, and making text from the network safe to print on a terminal.
 */

/**
 * C0 controls other than tab and newline, DEL, and the C1 range. These can move the cursor,
 * rewrite lines or (via ESC and 8-bit CSI) drive the receiving terminal, so the server refuses
 * them in chat text.
 */
const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Why `text` may not be sent as a chat line, or null when it may. */
export function textProblem(text: string): string | null {
  if (text.trim().length === 0) return 'is empty';
  if (FORBIDDEN.test(text)) return 'contains control characters (only newline and tab are allowed)';
  return null;
}

/**
 * What the client must never hand to a terminal raw: all C0 controls but tab and newline, DEL,
 * C1 controls (8-bit CSI is U+009B), and the bidirectional overrides and isolates that can make
 * text display in a different order than it was written (the "Trojan Source" family).
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Returns `text` with every unsafe character shown as a visible escape (`\x1b`, `\u202e`), so
 * nobody can rewrite another user's screen. Newlines are kept; tabs become spaces.
 */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  }).replace(/\t/g, '    ');
}
