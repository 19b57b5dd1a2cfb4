/**
 * What a soak run counts: traffic, errors by code, faults it caused, and the chat lines the
 * server accepted (echoed to their sender), to check against what the witnesses received.
 */
export class Tally {
  sent = 0;
  received = 0;
  /** Ids of soak lines the server accepted: the sender got its own echo. */
  readonly accepted = new Set<number>();
  private readonly groups = new Map<string, Map<string, number>>();
  private nextId = 1;

  /** A fresh id for a chat line (`#n` at the start of its text). */
  id(): number {
    return this.nextId++;
  }

  count(group: string, key: string, n = 1): void {
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = new Map()));
    g.set(key, (g.get(key) ?? 0) + n);
  }

  get(group: string): Record<string, number> {
    return Object.fromEntries([...(this.groups.get(group) ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b)));
  }
}
