/**
 * Chat lines sent and not yet echoed. Pure. The typed line leaves the screen on Enter and the
 * server's echo takes its place, so a line the server refuses (a mute, a recipient who left)
 * must be shown as not sent, or it would vanish without a trace.
 *
 * The server answers a connection's requests in order, so the oldest line waiting is the one an
 * echo or a refusal is about. Refusals that only a one-shot private message can get count only
 * for one.
 */
import type { ErrorCode } from '../common/errors.js';

type Kind = 'say' | 'dm';

/** Errors that refuse a chat line, and which kinds of line they can refuse. */
const REFUSALS: Partial<Record<ErrorCode, readonly Kind[]>> = {
  MUTED: ['say', 'dm'],
  BAD_TEXT: ['say', 'dm'],
  FRAME_TOO_LARGE: ['say', 'dm'],
  NO_SUCH_USER: ['dm'],
};

/** Lines kept at most: a hostile server that never echoes cannot grow this. */
const MAX = 100;

export class Unconfirmed {
  private readonly lines: { kind: Kind; text: string }[] = [];

  sent(kind: Kind, text: string): void {
    this.lines.push({ kind, text });
    if (this.lines.length > MAX) this.lines.shift();
  }

  /** Our own line came back from the server. */
  echoed(): void {
    this.lines.shift();
  }

  /** The text of the line an error refused, or null when the error is about something else. */
  refused(code: string): string | null {
    const head = this.lines[0];
    if (!head || !(REFUSALS[code as ErrorCode] ?? []).includes(head.kind)) return null;
    this.lines.shift();
    return head.text;
  }

  /** The connection was lost or replaced: nothing pending can be answered any more. */
  clear(): void {
    this.lines.length = 0;
  }
}
