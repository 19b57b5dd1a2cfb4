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
 * comes back through snapshot() and restore() (server/cluster/checkpoint.ts).
 */
import { ChatError, chatError, type Refused } from '../../common/errors.js';
import { foldName } from '../../common/names.js';
import type { Room } from '../chat/room.js';
import type { RoomState } from '../chat/room-state.js';
import { freshCredentials, type Session } from '../chat/session.js';
import type { Logger } from '../logger.js';
import type { BaseConnection } from '../net/connection.js';
import type { Delivery, Reach } from '../net/delivery.js';
import { Elsewhere } from '../net/elsewhere.js';
import type { Account } from '../store/accounts.js';
import type { ReplicaClock } from './clock.js';
import { idTime, type ClusterEvent, type Creds, type Envelope } from './events.js';
import type { Quiet } from './quiet.js';

/** What the cluster knows of a session beyond the room: its serial, and where it is connected. */
export interface Placement {
  /** The log id of its login: names this session and no later one with the name. */
  serial: string;
  /** The log id of its last login or resume: names its current connection. */
  att: string;
  /** The server life (incarnation) it is connected to, or was last. */
  home: string;
  /** That server's name, for the log. */
  node: string;
  /** Its connection's wire format. */
  wire: string;
}

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

export interface ReplicaDeps {
  room: Room<Reach>;
  delivery: Delivery;
  clock: ReplicaClock;
  log: Logger;
  /** On while catching up: the room's and this log's lines are old news (both log through it). */
  quiet: Quiet;
  /** Another server's news for the login throttle and the accounts. */
  gateNews(news: Extract<ClusterEvent, { t: 'gate' }>): void;
  account(account: Account): void;
  /** Another server handed `user` their kept messages up to id `upTo`. */
  taken(user: string, upTo: number): void;
  /** Another server could not store the message `id` it kept for `user`. */
  unkept(user: string, id: number): void;
  /** A connection of this server went away (a login that finished after its connection closed). */
  lost(user: string, at: BaseConnection, why: string): void;
}

/**
 * What a refusal where the log counts a message names (see sender): made once for the messages
 * that name no recipient, as a group line is applied on every server, line after line.
 */
const SAY: Refused = { re: 'say' };
const REKEY: Refused = { re: 'pm_rekey' };
const HISTORY: Refused = { re: 'history' };

export const freshCreds = (): Creds => {
  const c = freshCredentials();
  return [c.id, c.secret.toString('base64'), c.token];
};

const credentials = ([id, secret, token]: Creds) => ({ id, secret: Buffer.from(secret, 'base64'), token });

export class Replica {
  /** The last log id applied. */
  lastId = '0-0';
  /** Living server lives: incarnation → node name. */
  readonly nodes = new Map<string, string>();
  private readonly placements = new WeakMap<Session<Reach>, Placement>();
  /** Whether the event being applied was asked for on this server (see mine()). */
  private applyingMine = false;

  constructor(
    private readonly deps: ReplicaDeps,
    /** This server's life. */
    public incarnation: string,
  ) {}

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
    const { room, log } = this.deps;
    switch (e.t) {
      case 'hello':
        this.nodes.set(e.o, e.node);
        if (!mine) log.info(`Cluster: server ${e.node} joined`);
        return undefined;
      case 'gone':
        return this.gone(e.inc, e.why);
      case 'login': {
        const at = this.reach(e, mine, asker);
        const session = room.login(e.name, e.guest, e.created, at, e.since, credentials(e.cred), e.feat);
        this.placements.set(session, { serial: id, att: id, home: e.o, node: this.nodes.get(e.o) ?? e.o, wire: e.wire });
        this.closedMeanwhile(session.key, at);
        return undefined;
      }
      case 'resume': {
        const session = this.session(e.user, e.s, 'RESUME_FAILED');
        const at = this.reach({ ...e, name: session.name }, mine, asker);
        room.resume(session, at, e.cred !== undefined, e.cred && credentials(e.cred), e.feat);
        Object.assign(this.placements.get(session)!, { att: id, home: e.o, node: this.nodes.get(e.o) ?? e.o, wire: e.wire });
        this.closedMeanwhile(session.key, at);
        return undefined;
      }
      case 'lost': {
        const session = room.byKey(e.user);
        const p = session && this.placements.get(session);
        if (!session?.at || p?.att !== e.att) return undefined;
        room.lost(e.user, session.at, e.why);
        if (p.home !== this.incarnation && session.state === 'detached') this.deps.delivery.detachRemote(e.user, p.wire);
        return undefined;
      }
      case 'end':
        return room.end(this.session(e.user, e.s), e.reason, e.why);
      case 'say':
        return this.bySender(e, SAY, (me) => room.say(me, e.text, e.group, e.action, e.sealed));
      case 'dm':
        return this.bySender(e, { re: 'dm', user: e.to }, (me) => room.dm(me, e.to, e.text, e.action));
      case 'leave':
        // Logged in since it was sent: it goes to them now, as any private message would.
        return this.bySender(e, { re: 'dm', user: e.to }, (me) => (room.find(e.to) ? room.dm(me, e.to, e.text, e.action) : room.leave(me, e.to, e.text, e.action)));
      case 'away':
        return room.setAway(this.session(e.user, e.s), e.text);
      case 'back':
        return room.back(this.session(e.user, e.s));
      case 'pm':
        return this.bySender(e, { re: 'pm_request', user: e.target }, (me) => {
          const target = room.find(e.target);
          // Not online by the log's order; a name that is no account was refused before (dispatch/recipient.ts).
          if (!target) throw chatError('NO_SUCH_USER', e.target);
          return room.privates.request(me, target, e.key);
        });
      case 'pmans':
        return room.privates.answer(this.session(e.user, e.s), e.from, e.accept, e.typed, e.key);
      case 'rekey':
        return this.bySender(e, REKEY, (me) => room.privates.rekey(me, e.key));
      case 'history':
        // The page goes from the asker's server only: the others' copies would send it to no one.
        return this.bySender(e, HISTORY, (me) => (mine ? room.history(me, e.before, e.count) : undefined));
      case 'pmexit':
        return room.privates.exit(this.session(e.user, e.s));
      case 'expire':
        return room.privates.expireOne({ from: e.from, to: e.to, at: e.at });
      case 'wall':
        return room.wall(e.text);
      case 'mute': {
        const who = room.byKey(e.user);
        return who && room.mute(who, e.seconds);
      }
      case 'gate':
        if (!mine) this.deps.gateNews(e);
        return undefined;
      case 'account':
        if (!mine) this.deps.account({ name: e.name, hash: e.hash, created: e.created });
        return undefined;
      case 'count': {
        // Nobody waits for it: a session ended meanwhile is no refusal to report. Nor is a count
        // over the limit: its message was answered already (offered, or refused before it asked
        // for anything), and a second answer would be matched to another line of the sender's.
        // Only a mute it starts is told (its notice).
        const me = this.sessionIf(e.user, e.s);
        if (me) room.refusal(me);
        return undefined;
      }
      case 'taken':
        if (!mine) this.deps.taken(e.user, e.upTo);
        return undefined;
      case 'unkept':
        if (!mine) this.deps.unkept(e.user, e.id);
        return undefined;
    }
  }

  /** The server life `inc` is over: its users are offline everywhere, once. */
  private gone(inc: string, why: 'lease' | 'stopped'): number {
    const { room, log } = this.deps;
    const node = this.nodes.get(inc) ?? inc;
    this.nodes.delete(inc);
    const theirs = [...room.all()].filter((s) => this.placements.get(s)?.home === inc);
    for (const s of theirs) room.end(s, 'unreachable');
    if (theirs.length > 0 || why === 'lease') {
      const how = why === 'lease' ? 'its lease expired' : 'it stopped';
      log.warn(`Cluster: server ${node} is gone (${how}): ${theirs.length} user${theirs.length === 1 ? '' : 's'} taken offline`);
    }
    return theirs.length;
  }

  /**
   * The session that sent a line or a request, counted against its flood limit when the event is
   * marked so (`lim`: counted where applied, so every copy counts it in the log's order); null when
   * over the limit: the sender has been told (muted, or for how long still; the refusal naming
   * the message, `what`, as the dispatcher names what it refuses), and nothing changes.
   */
  private sender(e: { user: string; s: string; lim?: boolean }, what: Refused): Session<Reach> | null {
    const me = this.session(e.user, e.s);
    return e.lim && !this.deps.room.allow(me, what) ? null : me;
  }

  /**
   * `act` for the event's sender; false when over the limit where it is counted, so the asker's
   * dispatcher says it was refused (and ends a refused page: see Command.whenRefused).
   */
  private bySender<T>(e: { user: string; s: string; lim?: boolean }, what: Refused, act: (me: Session<Reach>) => T): T | false {
    const me = this.sender(e, what);
    return me ? act(me) : false;
  }

  /** The session `user` whose serial is `serial`; refused with `code` when it has ended meanwhile. */
  private session(user: string, serial: string, code: 'NOT_LOGGED_IN' | 'RESUME_FAILED' = 'NOT_LOGGED_IN'): Session<Reach> {
    const s = this.sessionIf(user, serial);
    if (!s) throw chatError(code);
    return s;
  }

  /** The session `user` whose serial is `serial`, or undefined when it has ended meanwhile. */
  private sessionIf(user: string, serial: string): Session<Reach> | undefined {
    const s = this.deps.room.byKey(user);
    return s && this.placements.get(s)?.serial === serial ? s : undefined;
  }

  /** Where a login or resume is reached: the asker's connection here, or another server. */
  private reach(e: { name: string; address: string; wire: string; o: string }, mine: boolean, asker: Asker | undefined): Reach {
    if (mine && asker?.at) return asker.at;
    return new Elsewhere(foldName(e.name), e.address, this.nodes.get(e.o) ?? e.o, e.wire);
  }

  /** A connection of ours that closed while its login was in the log: lost, as if just after. */
  private closedMeanwhile(user: string, at: Reach): void {
    if (!(at instanceof Elsewhere) && at.closed) this.deps.lost(user, at, 'connection closed while logging in');
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
