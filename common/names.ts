/**
 * Username rules, shared so the client can check before sending.
 *
 * Only ASCII letters, digits, `_`, `-` and `.`: this keeps look-alike letters from other scripts
 * (Cyrillic "а" for Latin "a") and control characters out of names by construction. Names are
 * unique without regard to case, so every lookup goes through {@link foldName}.
 */
export const NAME_RULE = '1 to 32 characters: letters, digits, "_", "-" or "."';
const NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/** Why `name` is not a valid username, or null when it is. */
export function nameProblem(name: string): string | null {
  return NAME.test(name) ? null : `use ${NAME_RULE}`;
}

/** The key under which a name is unique: Alice and alice are one account. */
export function foldName(name: string): string {
  return name.toLowerCase();
}
