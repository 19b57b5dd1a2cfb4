/**
 * Who is online: one registry of sessions keyed by the case-folded name, with a second index by
 * session id (heartbeats name the session, not the user), and the sorted online list, kept until
 * the next change.
 */
import { foldName } from '../../common/names.js';
import type { Endpoint } from './outbox.js';
import type { Credentials, Session } from './session.js';

export class Registry<E extends Endpoint> {
  private readonly sessions = new Map<string, Session<E>>();
  private readonly byId = new Map<string, Session<E>>();
  /** Sorted online names; null when the list changed since it was last sorted. */
  private sorted: readonly string[] | null = null;

  add(session: Session<E>): void {
    this.sessions.set(session.key, session);
    this.byId.set(session.id, session);
    this.sorted = null;
  }

  /** Takes `session` out; false when it was not the one registered under its name. */
  remove(session: Session<E>): boolean {
    if (this.sessions.get(session.key) !== session) return false;
    this.sessions.delete(session.key);
    this.byId.delete(session.id);
    this.sorted = null;
    return true;
  }

  /** Gives `session` new credentials (see Session.rekey), re-registered under its new id. */
  rekey(session: Session<E>, credentials?: Credentials): void {
    this.byId.delete(session.id);
    session.rekey(credentials);
    this.byId.set(session.id, session);
  }

  find(name: string): Session<E> | undefined {
    return this.sessions.get(foldName(name));
  }

  byKey(key: string): Session<E> | undefined {
    return this.sessions.get(key);
  }

  bySessionId(id: string): Session<E> | undefined {
    return this.byId.get(id);
  }

  /** Online names, sorted without regard to case (cached until the list changes). */
  online(): readonly string[] {
    this.sorted ??= [...this.sessions.keys()].sort().map((k) => this.sessions.get(k)!.name);
    return this.sorted;
  }

  get count(): number {
    return this.sessions.size;
  }

  keys(): IterableIterator<string> {
    return this.sessions.keys();
  }

  all(): IterableIterator<Session<E>> {
    return this.sessions.values();
  }
}
