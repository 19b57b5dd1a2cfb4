/**
 * The room's state as plain data: its shape, and how it is taken from the room's parts and put
 * back into them (what Room.snapshot() gives and Room.restore() takes). A cluster's servers agree
 * on it through their shared log, and a new server starts from it (server/cluster/checkpoint.ts,
 * replica.ts). Apart from the room because it reads every part the same way, and none of the
 * room's rules.
 */
import type { Feature } from '../../common/protocol.js';
import type { ConsentState } from './consent.js';
import type { Lines } from './lines.js';
import type { Endpoint } from './outbox.js';
import type { PrivateChats } from './private.js';
import type { Limits, LimitsState } from './ratelimit.js';
import type { Registry } from './registry.js';
import { Session } from './session.js';
import type { UndeliveredState } from './undelivered.js';
import type { Waiting } from './waiting.js';

/** A session as plain data (see Room.snapshot). */
export interface SessionData {
  name: string;
  guest: boolean;
  /** Where the user is (or was last) connected from. */
  address: string;
  /** Whose flood limit their messages count against (a guest's is the address they logged in from). */
  limitKey: string;
  id: string;
  /** base64 */
  secret: string;
  token: string;
  /** Session.previous: the token the last resume was made with. */
  previous?: string;
  away: string | null;
  awayTold: string[];
  /** Connected (somewhere), or waiting for a resume. */
  attached: boolean;
  /** What the user's client can do (Session.features). */
  features?: Feature[];
}

/**
 * Everything the room knows that follows from what users did, as plain data: what a cluster's
 * servers agree on, and a new one starts from (server/cluster/checkpoint.ts). Not in it: who is
 * connected here, presence, timers, history (each server keeps its own, or reads it back).
 */
export interface RoomState {
  lastId: number;
  sessions: SessionData[];
  /** Sessions waiting without a connection (folded names), longest waiting first, with the address each waits from. */
  waiting: [string, string][];
  consent: ConsentState;
  limits: LimitsState;
  undelivered: UndeliveredState;
}

/** `s` as plain data; `address`: where it is connected from, or waits from. */
export function sessionData(s: Session, address: string): SessionData {
  return {
    name: s.name,
    guest: s.guest,
    address,
    limitKey: s.limitKey,
    id: s.id,
    secret: s.secret.toString('base64'),
    token: s.token,
    ...(s.previous !== null ? { previous: s.previous } : {}),
    away: s.away,
    awayTold: s.awayToldList(),
    attached: s.at !== null,
    ...(s.features.size > 0 ? { features: [...s.features] } : {}),
  };
}

/** The session `d` describes, without its connection (the caller gives an attached one its endpoint). */
export function sessionFrom<E extends Endpoint>(d: SessionData): Session<E> {
  // A guest's flood limit is the address they logged in from, which may not be where they are now.
  const loggedInFrom = d.limitKey.startsWith('addr:') ? d.limitKey.slice('addr:'.length) : d.address;
  const session = new Session<E>(d.name, d.guest, loggedInFrom, { id: d.id, secret: Buffer.from(d.secret, 'base64'), token: d.token });
  session.previous = d.previous ?? null;
  session.away = d.away;
  for (const k of d.awayTold) session.awayTold.add(k);
  if (d.features?.length) session.features = new Set(d.features);
  return session;
}

/** The room's parts its state is kept in. */
export interface StateParts<E extends Endpoint> {
  registry: Registry<E>;
  waiting: Waiting<Session<E>>;
  lines: Lines<E>;
  privates: PrivateChats<E>;
  limits: Limits;
}

/** The room's state as plain data (see RoomState). */
export function snapshotOf<E extends Endpoint>({ registry, waiting, lines, privates, limits }: StateParts<E>): RoomState {
  return {
    lastId: lines.lastId,
    sessions: [...registry.all()].map((s) => sessionData(s, s.at?.address ?? waiting.addressOf(s) ?? '')),
    waiting: [...waiting.entries()].map(([s, address]) => [s.key, address]),
    consent: privates.consent.snapshot(),
    limits: limits.snapshot(),
    undelivered: lines.undelivered.snapshot(),
  };
}

/** Puts `state` into the parts of an empty room (see Room.restore): `reach` gives each attached session its endpoint. */
export function restoreInto<E extends Endpoint>({ registry, waiting, lines, privates, limits }: StateParts<E>, state: RoomState, reach: (session: SessionData) => E): void {
  if (registry.count > 0) throw new Error('restore() needs an empty room');
  lines.after(state.lastId);
  for (const d of state.sessions) {
    const session = sessionFrom<E>(d);
    if (d.attached) session.at = reach(d);
    registry.add(session);
  }
  for (const [key, address] of state.waiting) {
    const session = registry.byKey(key);
    if (session) waiting.add(session, address);
  }
  privates.consent.restore(state.consent);
  limits.restore(state.limits);
  lines.undelivered.restore(state.undelivered);
}
