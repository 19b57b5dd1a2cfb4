/**
 * Which request an answer is for, when private-chat requests and file offers may both wait. Pure.
 *
 * - A bare Y/N answers the one request waiting. With more than one waiting it is ambiguous: it is
 *   not sent, and the user is shown each request with the exact command that answers it. (It
 *   used to answer the oldest chat request, unsaid: a Y meant for the newer one started a chat
 *   with the other, and accepting one cancels every other request, so the one meant was lost.)
 * - `/accept NAME` (`/reject NAME`) answers NAME's chat request, or else NAME's one file offer.
 * - `/accept #N` answers file offer N (each offer is shown with its number).
 */
import { foldName } from '../common/names.js';
import { humanSize } from '../common/size.js';
import { safeLine } from './format.js';

/** A file offer waiting for our answer, as the client numbers it. */
export interface OfferRef {
  readonly n: number;
  readonly from: string;
  readonly id: string;
  readonly name: string;
  readonly size: number;
}

export type Resolved =
  | { kind: 'chat'; from: string | undefined }
  | { kind: 'file'; offer: OfferRef }
  /** Not sent: the client's explanation, one line each. */
  | { kind: 'unclear'; lines: string[] };

/** How each waiting request is answered, one line each. */
export function waitingLines(chats: readonly string[], files: readonly OfferRef[], accept = true): string[] {
  const [yes, no] = accept ? ['/accept', '/reject'] : ['/reject', '/accept'];
  return [
    ...chats.map((c) => `  ${safeLine(c)}'s private chat: ${yes} ${safeLine(c)} (or ${no} ${safeLine(c)})`),
    ...files.map((f) => `  #${f.n}: ${safeLine(f.from)}'s file ${safeLine(f.name)} (${humanSize(f.size)}): ${yes} #${f.n} (or ${no} #${f.n})`),
  ];
}

/** With several chat requests waiting: what accepting one does to the others. */
export function oneChat(chats: readonly string[]): string[] {
  return chats.length > 1 ? ['  (One private chat at a time: accepting one cancels the other requests.)'] : [];
}

/**
 * The request an answer is for. `target`: what followed /accept or /reject (a name, or #N);
 * undefined for a bare Y/N. `chats`: names of the chat requests waiting, oldest first.
 */
export function resolveAnswer(chats: readonly string[], files: readonly OfferRef[], target: string | undefined, accept: boolean): Resolved {
  if (target === undefined) {
    if (files.length === 0 && chats.length <= 1) return { kind: 'chat', from: chats[0] };
    if (chats.length === 0 && files.length === 1) return { kind: 'file', offer: files[0]! };
    return { kind: 'unclear', lines: ['More than one request is waiting, so a bare Y/N could answer the wrong one. Answer one of them:', ...waitingLines(chats, files, accept), ...oneChat(chats)] };
  }
  const numbered = /^#(\d+)$/.exec(target.trim());
  if (numbered) {
    const offer = files.find((f) => f.n === Number(numbered[1]));
    return offer ? { kind: 'file', offer } : { kind: 'unclear', lines: [`No file offer #${numbered[1]} is waiting.`] };
  }
  const key = foldName(target);
  if (chats.some((c) => foldName(c) === key)) return { kind: 'chat', from: target };
  const theirs = files.filter((f) => foldName(f.from) === key);
  if (theirs.length === 1) return { kind: 'file', offer: theirs[0]! };
  if (theirs.length > 1) return { kind: 'unclear', lines: [`${safeLine(target)} offers more than one file; say which:`, ...waitingLines([], theirs, accept)] };
  // Nothing known from them: the server has the last word (it says "has not asked you").
  return { kind: 'chat', from: target };
}
