/**
 * How much of the online list fits one message. The list travels in a frame's JSON header, which
 * holds at most MAX_HEADER (64 KiB) bytes, and a name of 32 characters may take 128 bytes of
 * UTF-8 (four-byte characters of one script are a valid name): 1,000 names can be 130 KiB. So the
 * list is cut by its encoded size, not its length; the message's `count` says how many are online,
 * and clients show the rest as "… and N more".
 */
import { MAX_HEADER, type ServerMessage } from '../../common/protocol.js';

/**
 * Bytes of a header the names may take: the rest of the message (a notice's text, a login's
 * session and secret, the count) has the other 16 KiB, far more than it needs.
 */
export const NAMES_BYTES = MAX_HEADER - 16 * 1024;

/** Names in a who reply, at most; fewer when they do not fit a frame's header. */
const WHO_MAX = 1000;

/**
 * How many of the first `names` fit `bytes` of JSON: each name quoted (and escaped, as
 * JSON.stringify does), with its comma. A name `twice(name)` says is listed a second time (the who
 * reply's `away`) counts twice.
 */
export function namesThatFit(names: readonly string[], bytes = NAMES_BYTES, twice: (name: string) => boolean = () => false): number {
  let used = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const size = (Buffer.byteLength(JSON.stringify(name)) + 1) * (twice(name) ? 2 : 1);
    if (used + size > bytes) return i;
    used += size;
  }
  return names.length;
}

/**
 * The reply to /who: the first of the `online` names (sorted) that fit, which of them are away
 * (`isAway`), and the `count` of users online.
 */
export function whoReply(online: readonly string[], count: number, isAway: (name: string) => boolean): ServerMessage<'who'> {
  const first = online.slice(0, WHO_MAX);
  // Away names are listed twice (online and away): they take twice the room.
  const fit = first.slice(0, namesThatFit(first, NAMES_BYTES, isAway));
  const away = fit.filter(isAway);
  return { type: 'who', online: fit, count, ...(away.length > 0 ? { away } : {}) };
}
