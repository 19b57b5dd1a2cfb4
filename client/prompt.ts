/**
 * The chat's prompt at a given width. Pure.
 *
 * In full it names the user and, in a private chat, the partner and how the chat is kept
 * ("alice (private: bob, encrypted, verified)> "). On a narrow terminal that took most of the
 * row, or more than all of it, and what was typed wrapped at once: the prompt gives up, in turn,
 * the user's own name (known to them), the word "private", the long form of how the chat is kept
 * ("verified" for "encrypted, verified"), and then the partner's name is cut, with an ellipsis.
 * "NOT encrypted" and "KEY CHANGED" are never given up: they are why the prompt says anything.
 */
import { fitWidth, textWidth } from './text-width.js';

/** How a private chat is kept, in full and in brief (the encrypted sessions' words). */
export interface PromptLabel {
  readonly text: string;
  readonly brief: string;
}

/** What the prompt says: who types and, in a private chat, to whom and how. Names already escaped. */
export interface Prompt {
  readonly me: string;
  readonly partner?: string;
  readonly label?: PromptLabel;
}

/** Columns left for typing after the prompt, at the least (or half the row, on a very narrow one). */
const TYPING_MIN = 16;
/** A cut name keeps at least this many columns, ellipsis included: "b…" for bob saved one. */
const NAME_MIN = 6;
const ELLIPSIS = '…';

/** `p` in full, or, when `width` is given, in the longest form that leaves room to type. */
export function promptText(p: Prompt, width = Infinity): string {
  const room = Math.max(width - TYPING_MIN, Math.floor(width / 2));
  const fits = (s: string) => textWidth(s) <= room;
  if (p.partner === undefined) {
    const full = `${p.me}> `;
    return fits(full) ? full : `${cut(p.me, room - 2)}> `;
  }
  const partner = p.partner;
  const tail = (label: string | undefined) => (label ? `, ${label}` : '');
  const forms = [
    `${p.me} (private: ${partner}${tail(p.label?.text)})> `,
    `(private: ${partner}${tail(p.label?.text)})> `,
    `(${partner}${tail(p.label?.brief)})> `,
  ];
  const form = forms.find(fits);
  if (form !== undefined) return form;
  const brief = tail(p.label?.brief);
  // Past this, on a terminal too narrow for anything, the prompt takes what it needs.
  return `(${cut(partner, room - textWidth(`()> ${brief}`))}${brief})> `;
}

/** `name` in at most `columns` columns (never fewer than NAME_MIN), cut with an ellipsis. */
function cut(name: string, columns: number): string {
  const n = Math.max(NAME_MIN, columns);
  return textWidth(name) <= n ? name : fitWidth(name, n - 1) + ELLIPSIS;
}
