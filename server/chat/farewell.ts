/**
 * What each way of ending a session says: to the log, to the others online, and to the user (the
 * goodbye their client reads to know whether to come back). Room.end does what it says.
 */
import type { ServerMessage } from '../../common/protocol.js';
import { NOTICES } from './notices.js';

/**
 * Why a session ends for good: logged out, silent for the heartbeat timeout, the server stopping,
 * waiting without a connection when too many others were (see Room.lost), removed by the
 * operator, or (a cluster) connected to a server that stopped answering.
 */
export type EndReason = 'logout' | 'offline' | 'shutdown' | 'crowded' | 'kicked' | 'unreachable';

export interface Farewell {
  log?: { level: 'info' | 'warn'; text: string };
  /** What the others are told (now, or in the next summary). */
  announce?: { event: 'leave' | 'offline'; text: string };
  /** The user's last message; none when their connection is already gone. */
  bye?: ServerMessage<'bye'>;
}

/**
 * The farewell of `name`'s session, ended for `reason`. `why`: the operator's reason for a kick;
 * `heartbeatTimeout`: the seconds of silence that make a user offline.
 */
export function farewell(name: string, reason: EndReason, why: string, heartbeatTimeout: number): Farewell {
  switch (reason) {
    case 'shutdown':
      // Everyone hears it at once: nothing to log or announce per user.
      return { bye: { type: 'bye', reason: 'shutdown', message: NOTICES.shutdown() } };
    case 'logout':
      return {
        log: { level: 'info', text: `${name} logged out` },
        announce: { event: 'leave', text: NOTICES.leave(name) },
        bye: { type: 'bye', reason: 'logout', message: NOTICES.goodbye(name) },
      };
    case 'crowded':
      return {
        log: { level: 'warn', text: `Session of ${name} ended: too many sessions waiting without a connection` },
        announce: { event: 'offline', text: NOTICES.gone(name) },
      };
    case 'unreachable':
      return {
        log: { level: 'warn', text: `${name} went offline: their server is gone` },
        announce: { event: 'offline', text: NOTICES.gone(name) },
        // Seen only by users still connected to a server the others took for gone (see rejoin).
        bye: { type: 'bye', reason: 'offline', message: NOTICES.you_unreachable() },
      };
    case 'kicked':
      return {
        log: { level: 'warn', text: `${name} was removed by the operator${why ? `: ${why}` : ''}` },
        announce: { event: 'leave', text: NOTICES.kicked(name) },
        bye: { type: 'bye', reason: 'kicked', message: NOTICES.you_kicked(why) },
      };
    case 'offline':
    default:
      return {
        log: { level: 'info', text: `No heartbeat from ${name} for ${heartbeatTimeout} s: marked offline` },
        announce: { event: 'offline', text: NOTICES.offline(name, heartbeatTimeout) },
        bye: { type: 'bye', reason: 'offline', message: NOTICES.you_offline(heartbeatTimeout) },
      };
  }
}
