/**
 * How the events that say who is where change a server's copy of the room: a server joining or
 * gone, a session logging in, resuming, losing its connection, ending. These are the events that
 * set and read Placements and meet this server's own connections (a login asked for here is
 * reached at the asker's connection); the rest of the log only changes what is said (see
 * chat-events.ts), so they are kept apart.
 */
import { chatError } from '../../common/errors.js';
import { foldName } from '../../common/names.js';
import type { Room } from '../chat/room.js';
import type { Logger } from '../logger.js';
import type { BaseConnection } from '../net/connection.js';
import type { Delivery, Reach } from '../net/delivery.js';
import { Elsewhere } from '../net/elsewhere.js';
import { credentials, type Envelope } from './events.js';
import type { Placements } from './placements.js';

export type SessionEvent = Extract<Envelope, { t: 'hello' | 'gone' | 'login' | 'resume' | 'lost' | 'end' }>;

/** What these events need of the replica: which server life this is, and the others. */
export interface Cluster {
  /** This server's life (it changes when the server rejoins). */
  readonly incarnation: string;
  /** Living server lives: incarnation → node name. */
  readonly nodes: Map<string, string>;
}

export interface SessionEventDeps {
  room: Room<Reach>;
  delivery: Delivery;
  log: Logger;
  /** A connection of this server went away (a login that finished after its connection closed). */
  lost(user: string, at: BaseConnection, why: string): void;
}

export class SessionEvents {
  constructor(
    private readonly cluster: Cluster,
    private readonly placements: Placements,
    private readonly deps: SessionEventDeps,
  ) {}

  /**
   * Applies `e`, the log's entry `id`; `mine`: it came from this server. `here`: the connection
   * a login or resume asked for on this server is for.
   */
  apply(id: string, e: SessionEvent, mine: boolean, here: BaseConnection | undefined): unknown {
    const { room, log } = this.deps;
    const { nodes } = this.cluster;
    const { placements } = this;
    switch (e.t) {
      case 'hello':
        nodes.set(e.o, e.node);
        if (!mine) log.info(`Cluster: server ${e.node} joined`);
        return undefined;
      case 'gone':
        return this.gone(e.inc, e.why);
      case 'login': {
        const at = this.reach(e, mine, here);
        const session = room.login(e.name, e.guest, e.created, at, e.since, credentials(e.cred), e.feat);
        placements.set(session, { serial: id, att: id, home: e.o, node: nodes.get(e.o) ?? e.o, wire: e.wire });
        this.closedMeanwhile(session.key, at);
        return undefined;
      }
      case 'resume': {
        const session = placements.session(e.user, e.s, 'RESUME_FAILED');
        if (e.was !== undefined && !session.tokenMatches(e.was)) throw chatError('RESUME_FAILED');
        const at = this.reach({ ...e, name: session.name }, mine, here);
        // An event from a server that did not yet renew tokens on resume carries none: keep it.
        room.resume(session, at, e.cred ? credentials(e.cred) : { token: e.tok ?? session.token, shown: e.was ?? session.token }, e.feat);
        Object.assign(placements.get(session)!, { att: id, home: e.o, node: nodes.get(e.o) ?? e.o, wire: e.wire });
        this.closedMeanwhile(session.key, at);
        return undefined;
      }
      case 'lost': {
        const session = room.byKey(e.user);
        const p = session && placements.get(session);
        if (!session?.at || p?.att !== e.att) return undefined;
        room.lost(e.user, session.at, e.why);
        if (p.home !== this.cluster.incarnation && session.state === 'detached') this.deps.delivery.detachRemote(e.user, p.wire);
        return undefined;
      }
      case 'end':
        return room.end(placements.session(e.user, e.s), e.reason, e.why);
    }
  }

  /** The server life `inc` is over: its users are offline everywhere, once. */
  private gone(inc: string, why: 'lease' | 'stopped'): number {
    const { room, log } = this.deps;
    const { nodes } = this.cluster;
    const node = nodes.get(inc) ?? inc;
    nodes.delete(inc);
    const theirs = [...room.all()].filter((s) => this.placements.get(s)?.home === inc);
    for (const s of theirs) room.end(s, 'unreachable');
    if (theirs.length > 0 || why === 'lease') {
      const how = why === 'lease' ? 'its lease expired' : 'it stopped';
      log.warn(`Cluster: server ${node} is gone (${how}): ${theirs.length} user${theirs.length === 1 ? '' : 's'} taken offline`);
    }
    return theirs.length;
  }

  /** Where a login or resume is reached: the asker's connection here, or another server. */
  private reach(e: { name: string; address: string; wire: string; o: string }, mine: boolean, here: BaseConnection | undefined): Reach {
    if (mine && here) return here;
    return new Elsewhere(foldName(e.name), e.address, this.cluster.nodes.get(e.o) ?? e.o, e.wire);
  }

  /** A connection of ours that closed while its login was in the log: lost, as if just after. */
  private closedMeanwhile(user: string, at: Reach): void {
    if (!(at instanceof Elsewhere) && at.closed) this.deps.lost(user, at, 'connection closed while logging in');
  }
}
