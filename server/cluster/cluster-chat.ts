/**
 * The Chat of a server in a cluster (`--redis URL`): each change a user asks for here is appended
 * to the one log all servers share (a Redis stream, see SharedLog), and takes effect when this
 * server reads it back and applies it, in the log's order, as every other server does (see
 * Replica). So group lines have one order on every screen, a name is taken once, and a
 * private-chat request made on one server is answered on another.
 *
 * A connection's changes are appended in the order they were asked for (one Redis connection
 * keeps the order of its commands), and the caller's promise settles once its change is applied
 * here: with its outcome, or its refusal (a ChatError). While Redis is away nothing can be
 * applied: what users send is refused at once with CLUSTER_DOWN ("not delivered"), never lost
 * unseen, and they are told that chat is paused, and when it resumes.
 *
 * Decisions only time makes (a user silent for the heartbeat timeout, a request unanswered) are
 * made by the user's own server and go through the log like any other change; so is a server's
 * death, found by its lease (see Leases and sweep.ts). Joining, leaving and pausing while Redis
 * is away are the membership's (membership.ts); here is the Chat, each change made an event.
 */
import { chatError } from '../../common/errors.js';
import type { Feature } from '../../common/protocol.js';
import { redactUrl } from '../../common/redact.js';
import type { Chat, TakenBack } from '../chat/chat.js';
import type { EndReason } from '../chat/farewell.js';
import { mutedError } from '../chat/mutes.js';
import type { Room } from '../chat/room.js';
import { freshToken, type Session } from '../chat/session.js';
import type { Logger } from '../logger.js';
import type { BaseConnection } from '../net/connection.js';
import type { Delivery, Reach } from '../net/delivery.js';
import { Elsewhere } from '../net/elsewhere.js';
import type { Account } from '../store/accounts.js';
import { SharedAccounts } from './accounts.js';
import { FileRelay } from './file-relay.js';
import type { ReplicaClock } from './clock.js';
import { freshCreds, type ClusterEvent } from './events.js';
import { SharedGate } from './gate.js';
import { SharedHistory } from './history.js';
import { SharedMailbox } from './mailbox.js';
import { isHere, life, Membership } from './membership.js';
import type { Quiet } from './quiet.js';
import { Replica } from './replica.js';
import { ClusterSweep } from './sweep.js';

export interface ClusterOptions {
  url: string;
  /** This server's name in the cluster (default host:port). */
  node: string;
  /** Run on a Redis that does not persist (tests, demos). */
  ephemeral: boolean;
  historyDays: number;
  historyMax: number;
  offlineDays: number;
  maxFailures: number;
  maxRegistrations: number;
  heartbeatTimeout: number;
  /** The lease's length (default LEASE_MS; specs shorten it). */
  leaseMs?: number;
  /** Events between checkpoints (default CHECKPOINT_EVENTS; specs shorten it). */
  checkpointEvents?: number;
}

export class ClusterChat implements Chat<Reach> {
  /** The shared login throttle and accounts, once started. */
  gate!: SharedGate;
  accounts!: SharedAccounts;
  history: SharedHistory | null = null;
  mailbox!: SharedMailbox;
  /** The cluster's network id, once started: every server of it sends the same in login_ok. */
  network!: string;
  readonly replica: Replica;
  /** File transfers between users of this server and users of others. */
  readonly relay: FileRelay;
  private readonly membership: Membership;
  private readonly sweeper: ClusterSweep;
  /** Sessions whose change being asked for counts against their flood limit (see withinLimit). */
  private readonly limitNext = new WeakSet<Session<Reach>>();

  constructor(
    private readonly room: Room<Reach>,
    delivery: Delivery,
    private readonly clock: ReplicaClock,
    private readonly log: Logger,
    private readonly options: ClusterOptions,
    /** The switch `room` logs through (see Quiet): on while this server catches up. */
    quiet: Quiet,
  ) {
    this.replica = new Replica(
      {
        room,
        delivery,
        clock,
        log: quiet.wrap(log),
        quiet,
        gateNews: (news) => this.gate.learn(news),
        account: (a) => this.accounts.learn(a),
        taken: (user, upTo) => this.mailbox.forget(user, upTo),
        unkept: (user, id) => this.mailbox.drop(user, id),
        lost: (user, at, why) => this.lost(user, at, why),
      },
      life(),
    );
    this.relay = new FileRelay(this.replica, log);
    this.membership = new Membership(room, this.replica, this.relay, clock, log, options);
    this.sweeper = new ClusterSweep(room, this.replica, this.membership, clock, options.heartbeatTimeout);
  }

  get incarnation(): string {
    return this.replica.incarnation;
  }

  // ---- start and stop ------------------------------------------------------------------------

  /**
   * Joins the cluster: connects (a Redis that cannot be reached is a ClusterError), checks that
   * Redis persists, reads the accounts, history and offline messages, brings the room up to date
   * from the last checkpoint and the log after it, and starts following the log.
   */
  async start(): Promise<void> {
    this.network = await this.membership.connect();
    const cmd = this.membership.redis;
    const mine = () => this.replica.mine();
    this.accounts = await SharedAccounts.open(cmd, (a: Account) => void this.post({ t: 'account', ...a }).catch(() => {}));
    this.gate = new SharedGate(this.options.maxFailures, this.clock, this.options.maxRegistrations, (news) => void this.post(news).catch(() => {}));
    const { historyDays, historyMax, offlineDays } = this.options;
    this.history = historyDays > 0 ? await SharedHistory.open(cmd, { days: historyDays, max: historyMax, clock: this.clock, log: this.log, mine }) : null;
    const serves = (user: string) => isHere(this.room.byKey(user)?.at);
    const taken = (user: string, upTo: number) => this.post({ t: 'taken', user, upTo });
    const unkept = (user: string, id: number) => this.post({ t: 'unkept', user, id });
    this.mailbox = await SharedMailbox.open(cmd, { days: offlineDays, clock: this.clock, log: this.log, mine, serves, taken, unkept });
    this.room.remember({ ...(this.history ? { history: this.history } : {}), mailbox: this.mailbox });
    await this.membership.join();
    this.log.info(`Cluster: joined as ${this.options.node} on ${redactUrl(this.options.url)} (${this.room.count} user${this.room.count === 1 ? '' : 's'} online in the cluster, ${this.replica.nodes.size} other server${this.replica.nodes.size === 1 ? '' : 's'})`);
  }

  /** The name of the server `s` is connected to, when it is not this one. */
  elsewhere(s: Session<Reach>): string | null {
    const p = this.replica.placement(s);
    return p && p.home !== this.incarnation ? p.node : null;
  }

  /** How many servers are in the cluster (this one included). */
  get servers(): number {
    return this.replica.nodes.size;
  }

  /** For the readiness probe: null while Redis answers and the log is followed; else why not. */
  ready(): Promise<string | null> {
    return this.membership.ready();
  }

  /** Leaves the cluster: the other servers take this server's users offline now, not at the lease's end. */
  stop(): Promise<void> {
    return this.membership.stop();
  }

  /** Every SWEEP_MS: the room's sweep, whose decisions about this server's users go to the log (sweep.ts). */
  sweep(): void {
    this.sweeper.sweep();
  }

  // ---- the Chat ------------------------------------------------------------------------------

  login(name: string, guest: boolean, created: boolean, at: Reach, since?: number, features?: readonly Feature[]): Promise<void> {
    const event = {
      t: 'login', name, guest, created, address: at.address, wire: wireOf(at), cred: freshCreds(),
      ...(since !== undefined ? { since } : {}),
      ...(features?.length ? { feat: [...features] } : {}),
    } as const;
    return this.ask(event, at);
  }

  resume(session: Session<Reach>, at: Reach, by: TakenBack): Promise<void> {
    const s = this.serial(session);
    // By token: the token shown goes too, and is checked again where the log applies it, since
    // this server's copy may not yet have seen a resume elsewhere that spent it.
    const client = 'token' in by ? { tok: freshToken(), was: by.token } : { cred: freshCreds(), feat: [...by.features] };
    return this.ask({ t: 'resume', user: session.key, s, address: at.address, wire: wireOf(at), ...client }, at);
  }

  lost(user: string, at: Reach, reason: string): void {
    const session = this.room.byKey(user);
    const p = session && this.replica.placement(session);
    if (!p || session.at !== at) return;
    // Not delivered while Redis is away: the session stays until the user resumes or goes silent.
    this.post({ t: 'lost', user, att: p.att, why: reason }).catch(() => {});
  }

  end(session: Session<Reach>, reason: EndReason, why = ''): Promise<void> {
    return this.ask({ t: 'end', user: session.key, s: this.serial(session), reason, ...(why ? { why } : {}) });
  }

  say(me: Session<Reach>, text: string, group = false, action = false, sealed = false): Promise<void | false> {
    return this.ask({ t: 'say', ...this.as(me), text, ...flags({ group, action, sealed, lim: this.limited(me) }) });
  }

  dm(me: Session<Reach>, to: string, text: string, action = false): Promise<void | false> {
    return this.ask({ t: 'dm', ...this.as(me), to, text, ...flags({ action, lim: this.limited(me) }) });
  }

  leave(me: Session<Reach>, toName: string, text: string, action = false): Promise<void | false> {
    return this.ask({ t: 'leave', ...this.as(me), to: toName, text, ...flags({ action, lim: this.limited(me) }) });
  }

  setAway(me: Session<Reach>, message: string): Promise<void> {
    return this.ask({ t: 'away', ...this.as(me), text: message });
  }

  back(me: Session<Reach>): Promise<void> {
    return this.ask({ t: 'back', ...this.as(me) });
  }

  pmRequest(me: Session<Reach>, to: string, key?: string): Promise<void | false> {
    return this.ask({ t: 'pm', ...this.as(me), target: to, ...(key !== undefined ? { key } : {}), ...flags({ lim: this.limited(me) }) });
  }

  pmAnswer(me: Session<Reach>, from: string | undefined, accept: boolean, asTyped = from, key?: string): Promise<void> {
    const named = { ...(from !== undefined ? { from } : {}), ...(asTyped !== undefined ? { typed: asTyped } : {}) };
    return this.ask({ t: 'pmans', ...this.as(me), accept, ...named, ...(key !== undefined ? { key } : {}) });
  }

  pmRekey(me: Session<Reach>, key: string): Promise<void | false> {
    return this.ask({ t: 'rekey', ...this.as(me), key, ...flags({ lim: this.limited(me) }) });
  }

  pmExit(me: Session<Reach>): Promise<void> {
    return this.ask({ t: 'pmexit', ...this.as(me) });
  }

  mute(who: Session<Reach>, seconds: number): Promise<void> {
    return this.ask({ t: 'mute', user: who.key, seconds });
  }

  wall(text: string): Promise<number> {
    return this.ask({ t: 'wall', text });
  }

  /** Paged where it is applied, counted there against the flood limit; false when refused there. */
  historyPage(me: Session<Reach>, before: number | undefined, count: number): Promise<void | false> {
    return this.ask({ t: 'history', ...this.as(me), ...(before !== undefined ? { before } : {}), count, ...flags({ lim: this.limited(me) }) });
  }

  /**
   * A sender already muted is refused here, at once (thrown, for the dispatcher to answer); otherwise the changes `change` asks for (at
   * once: an event is made before its first await) are marked to count against the limit where
   * they are applied (every server counts them, in the log's order). A change that asked for
   * nothing the log counts (a file offer, which stays on the servers of its two users; a handler
   * that refused before asking) is counted by an event of its own, as one server counts every
   * limited message whatever becomes of it: else such messages would never count on a cluster.
   */
  withinLimit<T>(me: Session<Reach>, change: () => T): T | false {
    const muted = this.room.limits.muted(me.limitKey, this.clock.monotonic());
    if (muted) throw mutedError(muted.seconds, muted.byOperator);
    this.limitNext.add(me);
    try {
      return change();
    } finally {
      if (this.limitNext.delete(me)) void this.post({ t: 'count', ...this.as(me) }).catch(() => {});
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Appends `event` and waits for it to be applied here (see SharedLog). */
  private ask<T>(event: ClusterEvent, at?: Reach): Promise<T> {
    return this.membership.ask<T>(event, at);
  }

  /** Appends `event`; nobody waits for its outcome. */
  private post(event: ClusterEvent): Promise<void> {
    return this.membership.post(event);
  }

  private serial(s: Session<Reach>): string {
    const p = this.replica.placement(s);
    if (!p) throw chatError('NOT_LOGGED_IN');
    return p.serial;
  }

  private as(me: Session<Reach>): { user: string; s: string } {
    return { user: me.key, s: this.serial(me) };
  }

  private limited(me: Session<Reach>): boolean {
    return this.limitNext.delete(me);
  }
}

/** The wire format of a connection, by name. */
function wireOf(at: Reach): string {
  return at instanceof Elsewhere ? at.wire : (at as BaseConnection).wire.name;
}

/** Only the flags that are set: the log keeps what is needed. */
function flags(f: Record<string, boolean>): Record<string, true> {
  const out: Record<string, true> = {};
  for (const [k, v] of Object.entries(f)) if (v) out[k] = true;
  return out;
}
