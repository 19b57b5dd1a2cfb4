/**
 * What time does to the room on its own, every SWEEP_MS: private-chat requests unanswered for too
 * long, users gone silent (net of the server's own stalls: see Heartbeats.sweep), flood windows
 * past, large-room summaries of joins and leaves. Apart from the room because it is the one place
 * where the deciding is handed to someone else (Verdicts): the room decides at once on one server,
 * a cluster through its shared log.
 */
import type { Announcer } from './announcer.js';
import type { Request } from './consent.js';
import type { Heartbeats } from './heartbeats.js';
import type { Endpoint } from './outbox.js';
import type { PrivateChats } from './private.js';
import type { Limits } from './ratelimit.js';
import type { Session } from './session.js';

/** How often the server calls sweep(). A sweep later than this by S ms means a stall of S ms. */
export const SWEEP_MS = 1000;

/**
 * Who decides what a sweep finds (users silent for the heartbeat timeout, private-chat requests
 * unanswered for too long): the room itself on one server, at once; a cluster puts each decision
 * in its shared log first, so every server applies it in the same place (server/cluster/).
 */
export interface Verdicts<E extends Endpoint> {
  silent(session: Session<E>): void;
  expired(request: Request): void;
}

/** The room's parts that time changes. */
export interface SweptParts<E extends Endpoint> {
  heartbeats: Heartbeats<E>;
  privates: PrivateChats<E>;
  limits: Limits;
  announcer: Announcer<E>;
}

/** One sweep at monotonic time `now`: what it finds goes to `verdicts`. */
export function sweepRoom<E extends Endpoint>({ heartbeats, privates, limits, announcer }: SweptParts<E>, verdicts: Verdicts<E>, now: number): void {
  const silent = heartbeats.sweep(now);
  for (const r of privates.due()) verdicts.expired(r);
  limits.sweep(now);
  for (const s of silent) verdicts.silent(s);
  announcer.flush(now);
}
