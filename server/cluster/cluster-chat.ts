/**
 * The Chat of a server in a cluster (`--redis URL`): each change a user asks for here is appended
 * to the one log all servers share (a Redis stream), and takes effect when this server reads it
 * back and applies it, in the log's order, as every other server does (see Replica). So group
 * lines have one order on every screen, a name is taken once, and a private-chat request made on
 * one server is answered on another.
 *
 * A connection's changes are appended in the order they were asked for (one Redis connection
 * keeps the order of its commands), and the caller's promise settles once its change is applied
 * here: with its outcome, or its refusal (a ChatError). While Redis is away nothing can be
 * applied: what users send is refused at once with CLUSTER_DOWN ("not delivered"), never lost
 * unseen, and they are told that chat is paused, and when it resumes.
 *
 * Decisions only time makes (a user silent for the heartbeat timeout, a request unanswered) are
 * made by the user's own server and go through the log like any other change; so is a server's
 * death, found by its lease (see Leases).
 */
import { randomBytes } from 'node:crypto';
import { ChatError, chatError } from '../../common/errors.js';
import type { Feature } from '../../common/protocol.js';
import type { Chat } from '../chat/chat.js';
import type { Request } from '../chat/consent.js';
import { NOTICES } from '../chat/notices.js';
import type { EndReason, Room } from '../chat/room.js';
import type { Session } from '../chat/session.js';
import type { Logger } from '../logger.js';
import type { BaseConnection } from '../net/connection.js';
import type { Delivery, Reach } from '../net/delivery.js';
import { Elsewhere } from '../net/elsewhere.js';
import type { Account } from '../store/accounts.js';
import { SharedAccounts } from './accounts.js';
import { CHECKPOINT_EVENTS, CHECKPOINT_MS, loadCheckpoint, missing, saveCheckpoint } from './checkpoint.js';
import type { ReplicaClock } from './clock.js';
import { decodeEvent, encodeEvent, FIELD, type ClusterEvent, type Envelope } from './events.js';
import { SharedGate } from './gate.js';
import { SharedHistory } from './history.js';
import { Leases, RENEW_MS } from './leases.js';
import { SharedMailbox } from './mailbox.js';
import { connect, entriesOf, KEYS, persists, redisTime, type Redis } from './redis.js';
import { freshCreds, Replica, type Asker } from './replica.js';

/** Changes asked for here and not yet applied, at most: past this, SERVER_BUSY. */
const MAX_WAITING = 10_000;
/** Events read from the log at a time. */
const READ_COUNT = 1000;
/** How long one blocking read waits (a stop ends it sooner). */
const READ_BLOCK_MS = 2000;

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

/** Why the cluster could not start: one line for the operator. */
export class ClusterError extends Error {}

interface Waiter extends Asker {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class ClusterChat implements Chat<Reach> {
  /** The shared login throttle and accounts, once started. */
  gate!: SharedGate;
  accounts!: SharedAccounts;
  history: SharedHistory | null = null;
  mailbox!: SharedMailbox;
  readonly replica: Replica;
  private cmd!: Redis;
  private reader!: Redis;
  private leases!: Leases;
  private ref = 0;
  private readonly waiting = new Map<number, Waiter>();
  /** Sessions whose next change counts against their flood limit (see allow). */
  private readonly limitNext = new WeakSet<Session<Reach>>();
  /** Decisions sent to the log and not yet read back: requests expiring, users going offline. */
  private readonly expiring = new Set<string>();
  private readonly ending = new WeakSet<Session<Reach>>();
  private connected = false;
  private stopped = false;
  private following: Promise<void> | null = null;
  private stopTimers: (() => void)[] = [];
  private sinceCheckpoint = 0;
  private lastCheckpoint: { id: string; at: number } | null = null;

  constructor(
    private readonly room: Room<Reach>,
    delivery: Delivery,
    private readonly clock: ReplicaClock,
    private readonly log: Logger,
    private readonly options: ClusterOptions,
  ) {
    this.replica = new Replica(
      {
        room,
        delivery,
        clock,
        log,
        gateNews: (news) => this.gate.learn(news),
        account: (a) => this.accounts.learn(a),
        lost: (user, at, why) => this.lost(user, at, why),
      },
      life(),
    );
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
    const { url, ephemeral, node } = this.options;
    try {
      this.cmd = await connect(url);
      this.reader = this.cmd.duplicate();
      this.reader.on('error', () => {});
      await this.reader.connect();
    } catch (e) {
      await this.quit();
      throw new ClusterError(`cannot reach Redis at ${url}: ${(e as Error).message || 'connection refused'}`);
    }
    const persisting = await persists(this.cmd);
    if (persisting === false && !ephemeral) {
      await this.quit();
      throw new ClusterError(`Redis at ${url} does not persist (appendonly is no): accounts and history would be lost on its restart; turn appendonly on, or pass --redis-ephemeral for a test`);
    }
    if (persisting === null) this.log.warn(`Cluster: could not ask Redis whether it persists (CONFIG is disabled); make sure appendonly is on`);
    this.clock.align(await redisTime(this.cmd));
    this.watchConnection();
    const mine = () => this.replica.mine();
    this.accounts = await SharedAccounts.open(this.cmd, (a: Account) => void this.post({ t: 'account', ...a }).catch(() => {}));
    this.gate = new SharedGate(this.options.maxFailures, this.clock, this.options.maxRegistrations, (news) => void this.post(news).catch(() => {}));
    const { historyDays, historyMax, offlineDays } = this.options;
    this.history = historyDays > 0 ? await SharedHistory.open(this.cmd, { days: historyDays, max: historyMax, clock: this.clock, log: this.log, mine }) : null;
    this.mailbox = await SharedMailbox.open(this.cmd, { days: offlineDays, clock: this.clock, log: this.log, mine });
    this.room.remember({ ...(this.history ? { history: this.history } : {}), mailbox: this.mailbox });
    await this.catchUp();
    this.leases = new Leases(this.cmd, () => this.clock.monotonic(), this.options.leaseMs);
    await this.leases.renew(this.incarnation, node);
    this.connected = true;
    await this.post({ t: 'hello', node });
    this.following = this.follow();
    this.stopTimers.push(this.clock.every(RENEW_MS, () => void this.renew()));
    this.log.info(`Cluster: joined as ${node} on ${redact(url)} (${this.room.count} users online in the cluster, ${this.replica.nodes.size} other servers)`);
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
  async ready(): Promise<string | null> {
    if (!this.connected) return `unreachable at ${redact(this.options.url)}`;
    await this.cmd.ping();
    return null;
  }

  /** Leaves the cluster: the other servers take this server's users offline now, not at the lease's end. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const stop of this.stopTimers) stop();
    if (this.connected) {
      await this.post({ t: 'gone', inc: this.incarnation, why: 'stopped' }).catch(() => {});
      await this.leases.release(this.incarnation).catch(() => {});
    }
    for (const w of this.waiting.values()) w.reject(chatError('CLUSTER_DOWN'));
    this.waiting.clear();
    await this.quit();
    await this.following;
  }

  private async quit(): Promise<void> {
    for (const c of [this.reader, this.cmd]) {
      if (c?.isOpen) await c.quit().catch(() => c.destroy());
    }
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

  resume(session: Session<Reach>, at: Reach, rekey = false, features?: readonly Feature[]): Promise<void> {
    const s = this.serial(session);
    const client = rekey ? { cred: freshCreds(), ...(features ? { feat: [...features] } : {}) } : {};
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

  say(me: Session<Reach>, text: string, group = false, action = false, sealed = false): Promise<void> {
    return this.ask({ t: 'say', ...this.as(me), text, ...flags({ group, action, sealed, lim: this.limited(me) }) });
  }

  dm(me: Session<Reach>, to: string, text: string, action = false): Promise<void> {
    return this.ask({ t: 'dm', ...this.as(me), to, text, ...flags({ action, lim: this.limited(me) }) });
  }

  leave(me: Session<Reach>, toName: string, text: string, action = false): Promise<void> {
    return this.ask({ t: 'leave', ...this.as(me), to: toName, text, ...flags({ action, lim: this.limited(me) }) });
  }

  setAway(me: Session<Reach>, message: string): Promise<void> {
    return this.ask({ t: 'away', ...this.as(me), text: message });
  }

  back(me: Session<Reach>): Promise<void> {
    return this.ask({ t: 'back', ...this.as(me) });
  }

  pmRequest(me: Session<Reach>, to: string, key?: string): Promise<void> {
    return this.ask({ t: 'pm', ...this.as(me), target: to, ...(key !== undefined ? { key } : {}), ...flags({ lim: this.limited(me) }) });
  }

  pmAnswer(me: Session<Reach>, from: string | undefined, accept: boolean, asTyped = from, key?: string): Promise<void> {
    const named = { ...(from !== undefined ? { from } : {}), ...(asTyped !== undefined ? { typed: asTyped } : {}) };
    return this.ask({ t: 'pmans', ...this.as(me), accept, ...named, ...(key !== undefined ? { key } : {}) });
  }

  pmRekey(me: Session<Reach>, key: string): Promise<void> {
    return this.ask({ t: 'rekey', ...this.as(me), key });
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

  /**
   * A sender already muted is refused here, at once; otherwise their change is marked to count
   * against the limit where it is applied (every server counts it, in the log's order).
   */
  allow(me: Session<Reach>): boolean {
    const left = this.room.limits.mutedFor(me.limitKey, this.clock.monotonic());
    if (left > 0) {
      this.room.tell(me, chatError('MUTED', left).retryIn(left));
      return false;
    }
    this.limitNext.add(me);
    return true;
  }

  // ---- time's decisions ----------------------------------------------------------------------

  /** Every SWEEP_MS: the room's sweep, whose decisions about this server's users go to the log. */
  sweep(): void {
    this.room.sweep({ silent: (s) => this.silent(s), expired: (r) => this.expired(r) });
    void this.judgeLeases();
  }

  private silent(s: Session<Reach>): void {
    const p = this.replica.placement(s);
    if (!p || p.home !== this.incarnation || this.ending.has(s)) return;
    this.ending.add(s);
    this.post({ t: 'end', user: s.key, s: p.serial, reason: 'offline' }).catch(() => {
      // Judged again at the next sweep.
      this.ending.delete(s);
      this.room.presence.touch(s, this.clock.monotonic() - this.options.heartbeatTimeout * 1000);
    });
  }

  private expired(r: Request): void {
    const from = this.room.byKey(r.from);
    if (!from || !this.replica.isHome(from)) return;
    const key = `${r.from}>${r.to}@${r.at}`;
    if (this.expiring.has(key)) return;
    this.expiring.add(key);
    const done = () => this.expiring.delete(key);
    this.post({ t: 'expire', from: r.from, to: r.to, at: r.at }).then(done, done);
  }

  /** Reports the server lives whose lease is gone. */
  private async judgeLeases(): Promise<void> {
    if (!this.connected || this.stopped) return;
    const lives = new Set(this.replica.nodes.keys());
    for (const s of this.room.all()) {
      const home = this.replica.placement(s)?.home;
      if (home) lives.add(home);
    }
    lives.delete(this.incarnation);
    try {
      for (const inc of await this.leases.ended(lives)) {
        this.post({ t: 'gone', inc, why: 'lease' }).catch(() => this.leases.settled(inc));
      }
    } catch {
      // Redis away: judged when it is back.
    }
  }

  private async renew(): Promise<void> {
    if (!this.connected) return;
    await this.leases.renew(this.incarnation, this.options.node).catch(() => {});
  }

  // ---- the log -------------------------------------------------------------------------------

  /** Appends `event` and waits for it to be applied here: its outcome, or its refusal. */
  private ask<T>(event: ClusterEvent, at?: Reach): Promise<T> {
    if (!this.connected) return Promise.reject(chatError('CLUSTER_DOWN'));
    if (this.waiting.size >= MAX_WAITING) return Promise.reject(chatError('SERVER_BUSY'));
    const r = ++this.ref;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(r, { resolve: resolve as (v: unknown) => void, reject, ...(at instanceof Elsewhere || !at ? {} : { at }) });
      this.append({ ...event, o: this.incarnation, r }).catch(() => {
        const w = this.waiting.get(r);
        this.waiting.delete(r);
        w?.reject(chatError('CLUSTER_DOWN'));
      });
    });
  }

  /** Appends `event`; nobody waits for its outcome. */
  private post(event: ClusterEvent): Promise<void> {
    if (!this.connected && event.t !== 'hello') return Promise.reject(chatError('CLUSTER_DOWN'));
    return this.append({ ...event, o: this.incarnation }).then(() => undefined);
  }

  private append(e: Envelope): Promise<string> {
    return this.cmd.xAdd(KEYS.events, '*', { [FIELD]: encodeEvent(e) });
  }

  /** From the last checkpoint to the end of the log, before serving anyone. */
  private async catchUp(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const cp = await loadCheckpoint(this.cmd);
      if (cp) this.replica.restore(cp.state);
      let from = cp?.id ?? '0-0';
      this.replica.lastId = from;
      let n = 0;
      for (;;) {
        const reply = await this.cmd.sendCommand(['XRANGE', KEYS.events, `(${from}`, '+', 'COUNT', String(READ_COUNT)]);
        const entries = entriesOf(reply);
        if (entries.length === 0) break;
        for (const [id, fields] of entries) this.applyEntry(id, fields);
        from = entries.at(-1)![0];
        n += entries.length;
      }
      // The log was trimmed past the checkpoint we read (a newer one was written meanwhile): again.
      if (cp && (await missing(this.cmd, cp.id)) && attempt < 3) {
        this.room.shutdown();
        continue;
      }
      this.lastCheckpoint = cp ? { id: cp.id, at: this.clock.monotonic() } : null;
      this.log.info(`Cluster: caught up (${cp ? 'a checkpoint and ' : ''}${n} events)`);
      return;
    }
  }

  /** Reads the log as it grows, for as long as the server runs; waits out Redis's absences. */
  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        const reply = await this.reader.sendCommand(['XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', String(READ_BLOCK_MS), 'STREAMS', KEYS.events, this.replica.lastId]);
        for (const [id, fields] of entriesOf(reply)) this.applyEntry(id, fields);
        this.checkpointIfDue();
      } catch {
        if (this.stopped) return;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private applyEntry(id: string, fields: string[]): void {
    this.sinceCheckpoint++;
    const i = fields.indexOf(FIELD);
    const e = i >= 0 ? decodeEvent(fields[i + 1] ?? '') : null;
    if (!e) {
      this.replica.lastId = id;
      this.log.warn(`Cluster: skipped log entry ${id}: not an event`);
      return;
    }
    const w = e.o === this.incarnation && e.r !== undefined ? this.waiting.get(e.r) : undefined;
    if (w) this.waiting.delete(e.r!);
    try {
      const outcome = this.replica.apply(id, e, w);
      // A server's life declared over: its lease need not be reported again.
      if (e.t === 'gone') this.leases?.settled(e.inc);
      if (outcome instanceof Promise) outcome.then(w?.resolve, (err: unknown) => this.failed(id, e, err, w));
      else w?.resolve(outcome);
    } catch (err) {
      if (w) w.reject(err);
      else if (!(err instanceof ChatError)) this.log.error(`Cluster: event ${id} (${e.t}) failed: ${(err as Error).stack ?? err}`);
    }
    if (e.t === 'gone' && e.inc === this.incarnation && !this.stopped) this.rejoin();
  }

  /**
   * What an applied change left to do failed (an offline message not written to Redis): its
   * asker hears "not delivered"; a refusal is theirs as it is.
   */
  private failed(id: string, e: Envelope, err: unknown, w: Waiter | undefined): void {
    if (err instanceof ChatError) return w?.reject(err);
    this.log.warn(`Cluster: event ${id} (${e.t}) did not finish: ${(err as Error).message}`);
    w?.reject(chatError('CLUSTER_DOWN'));
  }

  /**
   * The others declared this server's life over (it was cut off from Redis for longer than the
   * lease): its users have been taken offline. It carries on as a new life.
   */
  private rejoin(): void {
    const old = this.incarnation;
    this.replica.incarnation = life();
    this.log.error(`Cluster: the other servers took this one (${old}) for gone; its users were taken offline; rejoining as ${this.incarnation}`);
    void this.renew();
    this.post({ t: 'hello', node: this.options.node }).catch(() => {});
  }

  /** The oldest living server writes a checkpoint every CHECKPOINT_EVENTS events or CHECKPOINT_MS. */
  private checkpointIfDue(): void {
    const keeper = [...this.replica.nodes.keys()].sort()[0];
    if (keeper !== this.incarnation || this.sinceCheckpoint === 0) return;
    const now = this.clock.monotonic();
    const age = now - (this.lastCheckpoint?.at ?? 0);
    if (this.sinceCheckpoint < (this.options.checkpointEvents ?? CHECKPOINT_EVENTS) && age < CHECKPOINT_MS) return;
    const previous = this.lastCheckpoint?.id ?? null;
    const cp = { id: this.replica.lastId, state: this.replica.snapshot() };
    this.sinceCheckpoint = 0;
    this.lastCheckpoint = { id: cp.id, at: now };
    saveCheckpoint(this.cmd, cp, previous, this.clock.now()).catch((e: Error) => this.log.warn(`Cluster: checkpoint not written: ${e.message}`));
  }

  /** Tells this server's users when Redis goes away and comes back, and logs both. */
  private watchConnection(): void {
    const url = redact(this.options.url);
    this.cmd.on('error', (e: Error) => {
      if (!this.connected || this.stopped) return;
      this.connected = false;
      this.leases?.down();
      this.log.warn(`Cluster: lost Redis at ${url} (${e.message}); reconnecting; users here stay connected`);
      this.tellLocal('paused', NOTICES.paused());
    });
    this.cmd.on('ready', () => {
      if (this.connected || this.stopped || !this.leases) return;
      this.connected = true;
      this.leases.up();
      this.log.info(`Cluster: Redis at ${url} is back; chat resumed`);
      void this.renew();
      this.tellLocal('resumed', NOTICES.resumed());
    });
  }

  private tellLocal(event: 'paused' | 'resumed', text: string): void {
    const here = [...this.room.all()].filter((s) => s.at && !(s.at instanceof Elsewhere)).map((s) => s.key);
    this.room.noticeAll(here, event, text);
  }

  // ---- helpers -------------------------------------------------------------------------------

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

/** A fresh server life's name. */
const life = () => randomBytes(6).toString('hex');

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

/** A Redis URL without its password, for the log. */
export function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}
