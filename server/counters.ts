/**
 * The server's counters, one object for the whole process, injected where things happen: the net
 * layer counts connections and datagrams, the dispatcher counts messages. The console's `stats`
 * reads them; nothing else changes them.
 */

/**
 * Why a datagram was dropped: too big to be a heartbeat, not shaped like one, naming no live
 * session, signed with the wrong secret, repeating the last accepted sequence number, or below it.
 */
export type DropReason = 'oversize' | 'malformed' | 'unknown-session' | 'forged' | 'replayed' | 'stale';

export class Counters {
  /** Connections accepted since the start (refused ones are not counted). */
  connections = 0;
  /** Chat lines accepted: group lines, private-session lines and one-shot private messages. */
  messages = 0;
  datagramsAccepted = 0;
  datagramsDropped: Partial<Record<DropReason, number>> = {};
}
