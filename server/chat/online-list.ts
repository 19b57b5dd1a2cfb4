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

/** Bytes a string takes in a JSON list: quoted and escaped, as JSON.stringify does, with its comma. */
export const listedBytes = (s: string): number => Buffer.byteLength(JSON.stringify(s)) + 1;

/**
 * How many of the first `names` fit `bytes` of JSON, each listed once, and `more(name)` bytes
 * beside (in the who reply, an away user's name again and their message).
 */
export function namesThatFit(names: readonly string[], bytes = NAMES_BYTES, more: (name: string) => number = () => 0): number {
  let used = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const size = listedBytes(name) + more(name);
    if (used + size > bytes) return i;
    used += size;
  }
  return names.length;
}

/**
 * The reply to /who: the first of the `online` names (sorted) that fit, which of them are away
 * and why (`awayOf`: their message, or null), and the `count` of users online.
 */
export function whoReply(online: readonly string[], count: number, awayOf: (name: string) => string | null): ServerMessage<'who'> {
  const first = online.slice(0, WHO_MAX);
  // An away user is listed twice (online and away) and their message once more.
  const more = (name: string): number => {
    const message = awayOf(name);
    return message === null ? 0 : listedBytes(name) + listedBytes(message);
  };
  const fit = first.slice(0, namesThatFit(first, NAMES_BYTES, more));
  const away = fit.filter((name) => awayOf(name) !== null);
  if (away.length === 0) return { type: 'who', online: fit, count };
  return { type: 'who', online: fit, count, away, awayMessages: away.map((name) => awayOf(name)!) };
}
