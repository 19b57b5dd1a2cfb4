/**
 * Seed 002's answer to a private-chat request: the user types a bare Y or N (or yes, no). One
 * rule for both sides: the client reads such a line as an answer, and the server reads a `say`
 * whose whole text is one as the answer to the oldest request waiting (for clients that send it
 * as a line).
 */
const ANSWER = /^\s*(y|n|yes|no)\s*$/i;

/** true for a bare Y or yes, false for a bare N or no (any case, blanks around), null for anything else. */
export function yesOrNo(text: string): boolean | null {
  const m = ANSWER.exec(text);
  return m ? m[1]!.toLowerCase().startsWith('y') : null;
}
