/**
 * Chat lines sent and not yet echoed. Pure. The typed line leaves the screen on Enter and the
 * server's echo takes its place, so a line the server refuses (a mute, a recipient who left)
 * must be shown as not sent, or it would vanish without a trace.
 *
 * The server answers a connection's requests in order, but for a private message to an account
 * that is offline: the notice that it is kept (or its refusal, MAILBOX_FULL) comes once it is
 * stored, after the echoes of the lines typed next. So an answer is matched to the oldest line it
 * can be about: an echo to a line of its kind (and recipient), a refusal or notice that names a
 * user (`user`) to a private message to them, unless a private chat request to them waits for its
 * answer (a request is answered at once, a kept message later). A refusal that names no one is about a group line
 * (the oldest said) when the server names every refusal of a private message (protocol 2, see
 * namesRefusals); from an older server, about the oldest line waiting, whatever it is. Refusals
 * that only one kind of line can get count only for that kind: every answer must be matched, or
 * each later line would be named for the one before it.
 */
import type { ErrorCode } from '../common/errors.js';
import { foldName } from '../common/names.js';

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

/** Refusals only a private message gets (a request never does). */
const DM_ONLY: ReadonlySet<string> = new Set<ErrorCode>(['MAILBOX_FULL', 'MAILBOX_FAILED']);

/** Lines kept at most: a hostile server that never echoes cannot grow this. */
const MAX = 100;

/** A line sent: what it was, whether as an action (`/me`), and to whom (a private message). */
interface Line {
  kind: Kind;
  text: string;
  action: boolean;
  to?: string;
}

/** Whether `line` is a private message to `user`. */
const dmTo = (line: Line, user: string) => line.kind === 'dm' && foldName(line.to ?? '') === foldName(user);

export class Unconfirmed {
  private readonly lines: Line[] = [];
  /** Private chat requests sent and not answered yet, by folded name (see asked). */
  private readonly asks: string[] = [];

  sent(kind: Kind, text: string, action = false, to?: string): void {
    this.lines.push({ kind, text, action, ...(to === undefined ? {} : { to }) });
    if (this.lines.length > MAX) this.lines.shift();
  }

  /**
   * Our own line came back from the server: a group line answers the oldest line said; a private
   * one to `to`, the oldest line said or sent to `to`. (A said line does not record whether it
   * went to the group or a private chat: the server echoes said lines in order, so the oldest is
   * the one.)
   */
  echoed(echo: { scope: 'group' | 'private'; to?: string }): void {
    this.take((l) => l.kind === 'say' || (echo.scope === 'private' && echo.to !== undefined && dmTo(l, echo.to)));
  }

  /**
   * A private message was kept for its offline recipient (`user`): that is its answer, not an
   * echo. The line kept (no echo will show it), or null when no private message to them waits
   * (without `user`: when the oldest line waiting is no private message).
   */
  kept(user?: string): Line | null {
    if (user !== undefined) return this.take((l) => dmTo(l, user));
    return this.lines[0]?.kind === 'dm' ? this.lines.shift()! : null;
  }

  /**
   * The text of the line an error refused, or null when the error is about something else. One
   * that names a user (`user`) refuses a private message to them; one that names none, the
   * oldest line said when the server names every refusal of a private message (`named`), else
   * the oldest line waiting.
   */
  refused(code: string, user: string | undefined, named: boolean): string | null {
    const kinds = REFUSALS[code as ErrorCode] ?? [];
    // A private chat request to them waiting for its answer takes it first: the server answers a
    // request at once, a /msg kept for them offline only once it is stored.
    if (user !== undefined && !DM_ONLY.has(code) && this.answered(user)) return null;
    if (user !== undefined) return kinds.includes('dm') ? (this.take((l) => dmTo(l, user))?.text ?? null) : null;
    if (named) return kinds.includes('say') ? (this.take((l) => l.kind === 'say')?.text ?? null) : null;
    const head = this.lines[0];
    if (!head || !kinds.includes(head.kind)) return null;
    this.lines.shift();
    return head.text;
  }

  /**
   * A private chat request to `to` went out, to a server that names the recipient of each refusal
   * of one (from an older one, a refusal naming nobody would leave it here for good). Its answer
   * (pm_sent, or a refusal naming them) is not a /msg's.
   */
  asked(to: string): void {
    this.asks.push(foldName(to));
    if (this.asks.length > MAX) this.asks.shift();
  }

  /** The request to `user` has its answer (pm_sent); false when none waits. */
  answered(user: string): boolean {
    const i = this.asks.indexOf(foldName(user));
    if (i >= 0) this.asks.splice(i, 1);
    return i >= 0;
  }

  /** The oldest line that `is`, taken off the list; null if none. */
  private take(is: (l: Line) => boolean): Line | null {
    const i = this.lines.findIndex(is);
    return i < 0 ? null : this.lines.splice(i, 1)[0]!;
  }

  /** The connection was lost or replaced: nothing pending can be answered any more. */
  clear(): void {
    this.lines.length = 0;
    this.asks.length = 0;
  }
}
