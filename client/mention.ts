/**
 * What deserves the user's attention: a line that names them, a private message, a request for
 * a private chat. Pure. The formatter highlights mentions; the session rings the bell.
 */
import { foldName } from '../common/names.js';
import type { ServerMessage } from '../common/protocol.js';

/** Letters, digits and the name punctuation that continue a word. */
const WORD = '[\\p{L}\\p{N}\\p{M}_]';

/**
 * Whether `text` names `name` as a word, in any case: "alice", "@alice", "Alice:", "thanks
 * alice." do; "malice", "alice_2" and "alice.b" do not.
 */
export function mentions(text: string, name: string): boolean {
  if (name === '') return false;
  const escaped = name.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  // A name may contain "." and "-", so those join words only when a letter follows them.
  const re = new RegExp(`(?<!${WORD}|${WORD}[.-])${escaped}(?!${WORD}|[.-]${WORD})`, 'iu');
  return re.test(text);
}

/** Whether `m`, received by `me`, rings the bell: a mention by someone else, a private line to me, a request. */
export function alerts(m: ServerMessage, me: string): boolean {
  if (m.type === 'notice') return m.event === 'pm_invite';
  if (m.type !== 'msg' || foldName(m.from) === foldName(me)) return false;
  return m.scope === 'private' || mentions(m.text, me);
}
