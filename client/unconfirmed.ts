/**
 * Chat lines sent and not yet echoed. Pure. The typed line leaves the screen on Enter and the
 * server's echo takes its place, so a line the server refuses (a mute, a recipient who left)
 * must be shown as not sent, or it would vanish without a trace.
 *
 * The server answers a connection's requests in order, but for a private message to an account
 * that is offline: the notice that it is kept (or its refusal, MAILBOX_FULL) comes once it is
 * stored, after the echoes of the lines typed next; on a cluster, a refusal decided where the
 * shared log applies a message comes after one decided at once. So an answer is matched to the
 * line it names: a server of protocol 2 names the type of every message it refuses (`re`) and the
 * recipient of a private message (`user`), so a refusal goes to the oldest group line, or the
 * oldest private message to that user, or to no line at all (a private chat request's). From an
 * older server, an echo goes to the oldest line of its kind (and recipient), a refusal naming a
 * user to the oldest private message to them, and one naming nobody to the oldest line waiting;
 * refusals that only one kind of line can get count only for that kind: every answer must be
 * matched, or each later line would be named for the one before it.
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
   * The text of the line an error refused, or null when the error is about something else. `re`
   * (protocol 2): the type of the message refused, a `say` or a `dm` to `user`. Without it, one
   * that names a user (`user`) refuses a private message to them; one that names none, the oldest
   * line said when the server names every refusal of a private message (`named`: only a frame it
   * could not read comes unnamed), else the oldest line waiting.
   */
  refused(code: string, user: string | undefined, named: boolean, re?: string): string | null {
    const kinds = REFUSALS[code as ErrorCode] ?? [];
    const said = () => (kinds.includes('say') ? (this.take((l) => l.kind === 'say')?.text ?? null) : null);
    const dm = (to: string) => (kinds.includes('dm') ? (this.take((l) => dmTo(l, to))?.text ?? null) : null);
    if (re !== undefined) return re === 'say' ? said() : re === 'dm' && user !== undefined ? dm(user) : null;
    if (user !== undefined) return dm(user);
    if (named) return said();
    const head = this.lines[0];
    if (!head || !kinds.includes(head.kind)) return null;
    this.lines.shift();
    return head.text;
  }

  /** The oldest line that `is`, taken off the list; null if none. */
  private take(is: (l: Line) => boolean): Line | null {
    const i = this.lines.findIndex(is);
    return i < 0 ? null : this.lines.splice(i, 1)[0]!;
  }

  /** The connection was lost or replaced: nothing pending can be answered any more. */
  clear(): void {
    this.lines.length = 0;
  }
}
