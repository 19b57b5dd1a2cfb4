/**
 * The room's state as plain data: what Room.snapshot() gives and Room.restore() takes. A cluster's
 * servers agree on it through their shared log, and a new server starts from it
 * (server/cluster/checkpoint.ts, replica.ts).
 */
import type { Feature } from '../../common/protocol.js';
import type { ConsentState } from './consent.js';
import type { LimitsState } from './ratelimit.js';
import type { UndeliveredState } from './undelivered.js';

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
