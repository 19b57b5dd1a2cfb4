/**
 * This server's copy of the cluster's room, and how an event from the shared log changes it.
 *
 * Every server applies the same events in the same order to the same starting state, with the
 * room's clock reading each event's time (see ReplicaClock): so every copy makes the same
 * decisions (who got a name first, a line's id, whether a sender is over the limit, which request
 * a Y answers). What differs is only who is connected here: a user of this server is reached at
 * their connection, anyone else at an Elsewhere endpoint, to which Delivery writes nothing (their
 * own server delivers the same message from the same event).
 *
 * Nothing here talks to Redis: the events come in through apply(), and the state goes out and
 * comes back through snapshot() and restore() (server/cluster/checkpoint.ts). What each event
 * does is beside it: who is where (session-events.ts, with Placements), what is said
 * (chat-events.ts); what stays here is the order of applying, and the news for other parts.
 */
import { ChatError } from '../../common/errors.js';
import { foldName } from '../../common/names.js';
import type { Room } from '../chat/room.js';
import type { RoomState } from '../chat/room-state.js';
import type { Session } from '../chat/session.js';
import type { BaseConnection } from '../net/connection.js';
import type { Reach } from '../net/delivery.js';
import { Elsewhere } from '../net/elsewhere.js';
import type { Account } from '../store/accounts.js';
import { ChatEvents } from './chat-events.js';
import type { ReplicaClock } from './clock.js';
import { idTime, type ClusterEvent, type Envelope } from './events.js';
import { Placements, type Placement } from './placements.js';
import type { Quiet } from './quiet.js';
import { SessionEvents, type SessionEventDeps } from './session-events.js';

/** The cluster's state at one point of the log (a checkpoint). */
export interface ReplicaState {
  room: RoomState;
  placements: [user: string, Placement][];
  nodes: [incarnation: string, node: string][];
}

/** Who asked, on this server, for the event being applied, and waits for its outcome. */
export interface Asker {
  /** The connection a login or resume is for. */
  at?: BaseConnection;
}

/** The room, the delivery, the log and `lost`: see SessionEventDeps. */
export interface ReplicaDeps extends SessionEventDeps {
  clock: ReplicaClock;
  /** On while catching up: the room's and this log's lines are old news (both log through it). */
  quiet: Quiet;
  /** Another server's news for the login throttle and the accounts. */
  gateNews(news: Extract<ClusterEvent, { t: 'gate' }>): void;
  account(account: Account): void;
  /** Another server handed `user` their kept messages up to id `upTo`. */
  taken(user: string, upTo: number): void;
  /** Another server could not store the message `id` it kept for `user`. */
  unkept(user: string, id: number): void;
}

export class Replica {
  /** The last log id applied. */
  lastId = '0-0';
  /** Living server lives: incarnation → node name. */
  readonly nodes = new Map<string, string>();
  private readonly placements: Placements;
  /** Whether the event being applied was asked for on this server (see mine()). */
  private applyingMine = false;
  private readonly sessionEvents: SessionEvents;
  private readonly chatEvents: ChatEvents;

  constructor(
    private readonly deps: ReplicaDeps,
    /** This server's life. */
    public incarnation: string,
  ) {
    this.placements = new Placements(deps.room);
    this.sessionEvents = new SessionEvents(this, this.placements, deps);
    this.chatEvents = new ChatEvents(deps.room, this.placements);
  }

  get room(): Room<Reach> {
    return this.deps.room;
  }

  /** The switch that keeps what is applied while catching up out of the log as news (see Quiet). */
  get quiet(): Quiet {
    return this.deps.quiet;
  }

  /** Whether the event being applied came from this server: what it writes to Redis is its job. */
  mine(): boolean {
    return this.applyingMine;
  }

  placement(s: Session<Reach>): Placement | undefined {
    return this.placements.get(s);
  }

  /** Whether `s` is connected to this server (or was last, and waits for a resume). */
  isHome(s: Session<Reach>): boolean {
    return this.placements.get(s)?.home === this.incarnation;
  }

  /**
   * Applies one event. Returns its outcome for the asker (a ChatError is thrown); on the other
   * servers a refusal changes nothing and is not theirs to report.
   */
  apply(id: string, e: Envelope, asker: Asker | undefined): unknown {
    this.lastId = id;
    const mine = e.o === this.incarnation;
    this.deps.clock.pin(idTime(id));
    this.applyingMine = mine;
    try {
      return this.change(id, e, mine, asker);
    } catch (err) {
      if (mine || !(err instanceof ChatError)) throw err;
      return undefined;
    } finally {
      this.applyingMine = false;
      this.deps.clock.unpin();
    }
  }

  private change(id: string, e: Envelope, mine: boolean, asker: Asker | undefined): unknown {
    switch (e.t) {
      case 'hello':
      case 'gone':
      case 'login':
      case 'resume':
      case 'lost':
      case 'end':
        return this.sessionEvents.apply(id, e, mine, asker?.at);
      // News for other parts of this server: theirs is already known where it came from.
      case 'gate':
        if (!mine) this.deps.gateNews(e);
        return undefined;
      case 'account':
        if (!mine) this.deps.account({ name: e.name, hash: e.hash, created: e.created });
        return undefined;
      case 'taken':
        if (!mine) this.deps.taken(e.user, e.upTo);
        return undefined;
      case 'unkept':
        if (!mine) this.deps.unkept(e.user, e.id);
        return undefined;
      default:
        return this.chatEvents.apply(e, mine);
    }
  }

  // ---- state ---------------------------------------------------------------------------------

  snapshot(): ReplicaState {
    const { room } = this.deps;
    return {
      room: room.snapshot(),
      placements: [...room.all()].map((s) => [s.key, { ...this.placements.get(s)! }]),
      nodes: [...this.nodes],
    };
  }

  /** Starts from `state` (nobody is connected here yet: everyone is elsewhere). */
  restore(state: ReplicaState): void {
    const { room, delivery } = this.deps;
    const where = new Map(state.placements);
    room.restore(state.room, (d) => {
      const key = foldName(d.name);
      const p = where.get(key)!;
      return new Elsewhere(key, d.address, p.node, p.wire);
    });
    for (const s of room.all()) {
      const p = where.get(s.key);
      if (p) this.placements.set(s, { ...p });
      if (p && s.state === 'detached') delivery.detachRemote(s.key, p.wire);
    }
    this.nodes.clear();
    for (const [inc, node] of state.nodes) this.nodes.set(inc, node);
  }
}
