/**
 * What deserves the user's attention: a line that names them, a private message, a request for
 * a private chat. Pure. The formatter highlights mentions; the session rings the bell.
 */
import { foldName } from '../common/names.js';
import type { ServerMessage } from '../common/protocol.js';

/** Letters, digits and the name punctuation that continue a word. */
const WORD = '[\\p{L}\\p{N}\\p{M}_]';

/**
 * The user's name as a pattern, made once per name (a login, a rename) rather than once per line:
 * every group line is tested against it.
 */
export class Mention {
  private readonly re: RegExp | null;
  /** The name case-folded, to tell the user's own lines (folded once, as the pattern is made once). */
  readonly key: string;

  constructor(readonly name: string) {
    this.key = foldName(name);
    const escaped = name.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    // A name may contain "." and "-", so those join words only when a letter follows them.
    // No 'g' flag: test() then keeps no lastIndex from one line to the next.
    this.re = name === '' ? null : new RegExp(`(?<!${WORD}|${WORD}[.-])${escaped}(?!${WORD}|[.-]${WORD})`, 'iu');
  }

  /**
   * Whether `text` names the user as a word, in any case. For alice, "@alice", "Alice:" and
   * "thanks alice." do; "malice", "alice_2" and "alice.b" do not.
   */
  in(text: string): boolean {
    return this.re !== null && this.re.test(text);
  }
}

/**
 * Whether `m`, received by `me`, rings the bell: a mention by someone else, a private line to me,
 * a request. `mentioned`: the formatter's verdict on the line (Formatter marks it), so a line is
 * tested for the name once, not once to mark and again to ring.
 */
export function alerts(m: ServerMessage, me: string, mentioned: boolean): boolean {
  if (m.type === 'notice') return m.event === 'pm_invite';
  if (m.type !== 'msg' || foldName(m.from) === foldName(me)) return false;
  return m.scope === 'private' || mentioned;
}
