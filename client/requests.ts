/**
 * The private-chat requests waiting for this user's answer, as far as the client can tell from
 * the server's notices. Pure. It decides what a bare "y" or "no" means: with a request waiting it
 * answers it; with none, it is almost certainly a stray answer, not something to tell everyone.
 */
import { foldName } from '../common/names.js';
import type { ServerMessage } from '../common/protocol.js';

/** More than any server lets wait for one user; a hostile server cannot grow this further. */
const MAX = 1000;

export class PendingRequests {
  /** Folded name → name as shown, oldest first. */
  private readonly from = new Map<string, string>();

  /** Follows a notice: an invitation adds its sender; a start, refusal, expiry or cancel removes. */
  notice(m: ServerMessage<'notice'>): void {
    const key = m.user === undefined ? undefined : foldName(m.user);
    switch (m.event) {
      case 'pm_invite':
        if (key === undefined) return;
        this.from.delete(key);
        this.from.set(key, m.user!);
        if (this.from.size > MAX) this.from.delete(this.from.keys().next().value!);
        return;
      case 'pm_started':
        // Once in a private chat, every other request to or from us is void (server/chat/consent.ts).
        return this.from.clear();
      case 'pm_refused':
      case 'pm_expired':
      case 'pm_cancelled':
        if (key !== undefined) this.from.delete(key);
        return;
      default:
        return;
    }
  }

  get waiting(): boolean {
    return this.from.size > 0;
  }

  /** Who is waiting, oldest first. */
  list(): string[] {
    return [...this.from.values()];
  }

  /** A new session (the server forgot the old one): nothing waits any more. */
  clear(): void {
    this.from.clear();
  }
}
