/**
 * Chat lines sent and not yet echoed. Pure. The typed line leaves the screen on Enter and the
 * server's echo takes its place, so a line the server refuses (a mute, a recipient who left)
 * must be shown as not sent, or it would vanish without a trace.
 *
 * The server answers a connection's requests in order, so the oldest line waiting is the one an
 * echo, a refusal or (a private message to an account that is offline) the notice that it is kept
 * is about. Refusals that only one kind of line can get count only for that kind: every answer
 * must be matched, or each later line would be named for the one before it.
 */
import type { ErrorCode } from '../common/errors.js';

type Kind = 'say' | 'dm';

/** Errors that refuse a chat line, and which kinds of line they can refuse. */
const REFUSALS: Partial<Record<ErrorCode, readonly Kind[]>> = {
  MUTED: ['say', 'dm'],
  BAD_TEXT: ['say', 'dm'],
  FRAME_TOO_LARGE: ['say', 'dm'],
  SERVER_BUSY: ['say', 'dm'],
  CLUSTER_DOWN: ['say', 'dm'],
  NO_SUCH_USER: ['dm'],
  MAILBOX_FULL: ['dm'],
  MAILBOX_FAILED: ['dm'],
  E2E_NOT_IN: ['say'],
};

/** Lines kept at most: a hostile server that never echoes cannot grow this. */
const MAX = 100;

/** A line sent: what it was, and whether as an action (`/me`). */
interface Line {
  kind: Kind;
  text: string;
  action: boolean;
}

export class Unconfirmed {
  private readonly lines: Line[] = [];

  sent(kind: Kind, text: string, action = false): void {
    this.lines.push({ kind, text, action });
    if (this.lines.length > MAX) this.lines.shift();
  }

  /** Our own line came back from the server. */
  echoed(): void {
    this.lines.shift();
  }

  /**
   * A private message was kept for its offline recipient: that is its answer, not an echo. The
   * line kept (no echo will show it), or null when the oldest line waiting is no private message.
   */
  kept(): Line | null {
    return this.lines[0]?.kind === 'dm' ? this.lines.shift()! : null;
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
