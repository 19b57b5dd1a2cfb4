/**
 * Who is online, as far as the client can tell: from the login, /who answers, join and leave
 * notices and the people who speak. Pure. Tab completes names from it.
 */
import { foldName } from '../common/names.js';
import type { ServerMessage } from '../common/protocol.js';
import { escapeForTerminal } from '../common/text.js';

/** Past this many, new names are not added (a huge room, or a hostile server). */
const MAX = 10_000;

export class Roster {
  /** Folded name → name as shown. */
  private readonly names = new Map<string, string>();

  /** Follows one message from the server. */
  follow(m: ServerMessage): void {
    switch (m.type) {
      case 'login_ok':
        if (m.online) this.replace(m.online, m.count);
        return;
      case 'who':
        return this.replace(m.online, m.count);
      case 'msg':
        return this.add(m.from);
      case 'notice':
        if (m.online) this.replace(m.online, m.count);
        if (!m.user) return;
        if (m.event === 'join' || m.event === 'reconnected') this.add(m.user);
        else if (m.event === 'leave' || m.event === 'offline') this.names.delete(foldName(m.user));
        return;
      default:
        return;
    }
  }

  /** Names to complete, in a stable order. */
  list(): string[] {
    return [...this.names.values()].sort((a, b) => foldName(a).localeCompare(foldName(b)));
  }

  /** A list of everyone replaces what we knew; a partial one (a big room's first names) adds to it. */
  private replace(online: readonly string[], count = online.length): void {
    if (count <= online.length) this.names.clear();
    for (const n of online) this.add(n);
  }

  private add(name: string): void {
    // A name goes into the line being typed as it is: never one that would need escaping.
    if (/\s/.test(name) || escapeForTerminal(name) !== name) return;
    if (this.names.size < MAX || this.names.has(foldName(name))) this.names.set(foldName(name), name);
  }
}
