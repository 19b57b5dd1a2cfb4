/**
 * Delivery: the Outbox over real connections, and the only place the server encodes what it
 * sends. It maps each user (by case-folded name) to their connection, encodes a message once per
 * wire format among its recipients and shares the bytes (a recipient whose bytes differ, as an
 * IRC user's own line does, gets its own: see Wire.shares), and keeps what arrives for a user
 * whose connection dropped, so a resume gets it (see Backlogs for the bounds).
 *
 * Replies to a connection that is not logged in (errors, the greeting) go through `reply`.
 */
import type { ServerMessage } from '../../common/protocol.js';
import type { Outbox } from '../chat/outbox.js';
import type { Counters } from '../counters.js';
import type { Backlogs, Kept } from './backlogs.js';
import type { BaseConnection } from './connection.js';
import { Elsewhere } from './elsewhere.js';
import { NATIVE, type Peer, type Wire } from './wire.js';

/** Why a connection closes when its user's session ends, by the goodbye's reason (for the log). */
const CLOSE_REASONS: Record<ServerMessage<'bye'>['reason'], string> = {
  logout: 'logout',
  offline: 'marked offline',
  replaced: 'session resumed elsewhere',
  shutdown: 'server shutting down',
  kicked: 'removed by the operator',
};

/** A user as delivery sees them: their connection, or what waits for their return. */
interface Link {
  readonly user: string;
  conn: BaseConnection | null;
  /** The wire format of the last connection: what the backlog is encoded in. */
  wire: Wire;
  /** What that wire knows of the user (the last connection's peer). */
  peer: Peer;
  /** While detached: what is kept for the user. */
  kept: Kept | null;
}

/** Where a user is reached: a connection here, or another server of a cluster (nothing to write). */
export type Reach = BaseConnection | Elsewhere;

export class Delivery implements Outbox<Reach> {
  private readonly links = new Map<string, Link>();

  /**
   * `counters` (if any) count chat deliveries (one per recipient) and refusals, and what logins
   * were answered.
   */
  constructor(
    private readonly backlogs: Backlogs,
    private readonly counters?: Counters,
  ) {}

  attach(user: string, conn: Reach, first: ServerMessage): void {
    if (conn instanceof Elsewhere) return this.movedAway(user);
    // Encoded before anything is bound: a message that cannot be encoded leaves no half-login.
    const greeting = conn.wire.encode(first, conn.peer);
    let link = this.links.get(user);
    if (!link) {
      link = { user, conn: null, wire: conn.wire, peer: conn.peer, kept: null };
      this.links.set(user, link);
    }
    // What was kept is in the old connection's format: a user back over another protocol loses it.
    const sameWire = link.wire === conn.wire;
    const kept = this.release(link);
    if (!sameWire) kept.length = 0;
    link.conn = conn;
    link.wire = conn.wire;
    link.peer = conn.peer;
    conn.user = user;
    conn.loggedIn();
    conn.write(greeting);
    for (const bytes of kept) conn.write(bytes);
    this.counters?.answered(first);
  }

  toUser(user: string, msg: ServerMessage): void {
    const link = this.links.get(user);
    if (!link) return;
    this.deliver(link, link.wire.encode(msg, link.peer));
    if (this.counters) {
      this.counters.sent(msg);
      // Lines replayed from history go to one user each: counted here, where they leave.
      if (msg.type === 'msg' && msg.replay) this.counters.lines.replay++;
    }
  }

  toUsers(users: readonly string[], msg: ServerMessage): void {
    const bytes = new Encoded(msg);
    let delivered = 0;
    for (const user of users) {
      const link = this.links.get(user);
      if (!link) continue; // gone, or (a cluster) connected to another server, which counts it
      this.deliver(link, bytes.for(link.wire, link.peer));
      delivered++;
    }
    if (this.counters && msg.type === 'msg') this.counters.deliveries += delivered;
  }

  toRoom(msg: ServerMessage, except?: string): void {
    const bytes = new Encoded(msg);
    for (const link of this.links.values()) {
      if (link.user !== except) this.deliver(link, bytes.for(link.wire, link.peer));
    }
    if (this.counters && msg.type === 'msg') this.counters.deliveries += this.links.size - (except !== undefined && this.links.has(except) ? 1 : 0);
  }

  end(user: string, bye?: ServerMessage<'bye'>): void {
    const link = this.links.get(user);
    if (!link) return;
    this.links.delete(user);
    this.release(link);
    const { conn } = link;
    if (!conn) return;
    // Unbound first: the close that follows is not a lost connection for the chat to hear about.
    conn.user = null;
    if (bye) conn.write(conn.wire.encode(bye, conn.peer));
    conn.close(bye ? CLOSE_REASONS[bye.reason] : 'session ended');
  }

  drained(user: string, then: (open: boolean) => void): void {
    const link = this.links.get(user);
    if (!link) return then(true); // reached on another server, or never here: nothing to wait for
    if (!link.conn) return then(false);
    link.conn.whenDrained(then);
  }

  /** To one connection, whoever it is (a greeting, an error before login, a goodbye at shutdown). */
  reply(conn: BaseConnection, msg: ServerMessage): void {
    conn.write(conn.wire.encode(msg, conn.peer));
    // A refused login is answered here (an error frame; login_ok goes through attach).
    if (msg.type === 'error' && this.counters) {
      this.counters.sent(msg);
      this.counters.answered(msg);
    }
  }

  /**
   * `conn` closed. If it was its user's connection, the user is now detached (output is kept for
   * a resume) and their name is returned, so the chat can be told.
   */
  lost(conn: BaseConnection): string | undefined {
    const user = conn.user;
    if (user === null) return undefined;
    conn.user = null;
    const link = this.links.get(user);
    if (link?.conn !== conn) return undefined;
    link.conn = null;
    link.kept = this.backlogs.open();
    return user;
  }

  /**
   * A user of another server of the cluster lost their connection: what the room sends them is
   * kept here too, so a resume on this server gets it (their client may reconnect to any server).
   * Only for tinychat's own clients: an IRC client does not resume.
   */
  detachRemote(user: string, wire: Wire['name']): void {
    if (wire !== NATIVE.name || this.links.has(user)) return;
    this.links.set(user, { user, conn: null, wire: NATIVE, peer: null, kept: this.backlogs.open() });
  }

  /** `user` is now reached on another server: nothing is kept or written for them here. */
  private movedAway(user: string): void {
    const link = this.links.get(user);
    if (!link) return;
    this.links.delete(user);
    this.release(link);
    if (!link.conn) return;
    link.conn.user = null;
    link.conn.close('session resumed on another server');
  }

  private deliver(link: Link, bytes: Buffer): void {
    if (link.conn) link.conn.write(bytes);
    else if (link.kept && bytes.length > 0) this.backlogs.keep(link.kept, bytes);
  }

  /** A detached link is done waiting; returns what was kept for it. */
  private release(link: Link): Buffer[] {
    const kept = link.kept ? this.backlogs.take(link.kept) : [];
    link.kept = null;
    return kept;
  }
}

/**
 * One message's bytes per wire format, encoded on first use and shared after; a recipient its
 * wire does not share with (see Wire.shares) gets bytes of its own.
 */
class Encoded {
  private wire: Wire | null = null;
  private bytes: Buffer | null = null;
  private others: Map<Wire, Buffer> | null = null;

  constructor(private readonly msg: ServerMessage) {}

  for(wire: Wire, to: Peer): Buffer {
    if (!wire.shares(this.msg, to)) return wire.encode(this.msg, to);
    this.wire ??= wire;
    if (wire === this.wire) return (this.bytes ??= wire.encode(this.msg, to));
    this.others ??= new Map();
    let bytes = this.others.get(wire);
    if (!bytes) {
      bytes = wire.encode(this.msg, to);
      this.others.set(wire, bytes);
    }
    return bytes;
  }
}
