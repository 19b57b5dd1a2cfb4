/**
 * This server's membership of the cluster: its two Redis connections and the shared log it
 * follows over them, its life and the lease that keeps it (renewed here; the others' judged),
 * leaving, and carrying on as a new life once the others took this one for gone. While Redis is
 * away chat is paused: nothing can be applied, so this server's users are told, and told again
 * when it resumes.
 */
import { randomBytes } from 'node:crypto';
import { chatError } from '../../common/errors.js';
import { redactUrl } from '../../common/redact.js';
import { socketErrorWords } from '../../common/socket-error.js';
import { NOTICES } from '../chat/notices.js';
import type { Room } from '../chat/room.js';
import type { Logger } from '../logger.js';
import type { Reach } from '../net/delivery.js';
import { Elsewhere } from '../net/elsewhere.js';
import type { ReplicaClock } from './clock.js';
import type { ClusterEvent } from './events.js';
import type { FileRelay } from './file-relay.js';
import { Leases, RENEW_MS } from './leases.js';
import { connect, KEYS, networkId, persists, redisTime, type Redis } from './redis.js';
import type { Replica } from './replica.js';
import { SharedLog } from './shared-log.js';

/** Why the cluster could not start: one line for the operator. */
export class ClusterError extends Error {}

/** The refusal of a Redis that does not persist: by a server's start, and by --import-users. */
export function volatileRedis(url: string): ClusterError {
  return new ClusterError(`Redis at ${redactUrl(url)} does not persist (appendonly is no): accounts and history would be lost on its restart; turn appendonly on, or pass --redis-ephemeral for a test`);
}

/**
 * Redis could not be reached at start: why, in the words the chat's own connections use
 * ("connection refused", "unknown host"), not node-redis's "connect ECONNREFUSED 127.0.0.1:6379",
 * which wraps the socket's error (as `socketError`) in one of its own.
 */
export function unreachableRedis(url: string, e: unknown): ClusterError {
  const wrapped = e as { socketError?: unknown; originalError?: unknown };
  const cause = (wrapped.socketError ?? wrapped.originalError ?? e) as NodeJS.ErrnoException;
  return new ClusterError(`cannot reach Redis at ${redactUrl(url)}: ${socketErrorWords(cause, 'server') || 'connection refused'}`);
}

/** What membership needs of the options (see ClusterOptions). */
export interface MembershipOptions {
  url: string;
  node: string;
  ephemeral: boolean;
  leaseMs?: number;
  checkpointEvents?: number;
}

/** A fresh server life's name. */
export const life = () => randomBytes(6).toString('hex');

/** Whether a session reached at `at` is connected to this server (or was last, and waits for a resume). */
export function isHere(at: Reach | null | undefined): boolean {
  return at != null && !(at instanceof Elsewhere);
}

export class Membership {
  private cmd!: Redis;
  private reader!: Redis;
  /** The shared log: made once Redis answered, at start. */
  private events: SharedLog | undefined;
  private leases!: Leases;
  private stopped = false;
  private stopTimers: (() => void)[] = [];

  constructor(
    private readonly room: Room<Reach>,
    private readonly replica: Replica,
    private readonly relay: FileRelay,
    private readonly clock: ReplicaClock,
    private readonly log: Logger,
    private readonly options: MembershipOptions,
  ) {}

  /** The connection commands go on, once connected (the stores open on it). */
  get redis(): Redis {
    return this.cmd;
  }

  /**
   * The first half of joining: connects (a Redis that cannot be reached is a ClusterError),
   * checks that Redis persists, aligns the clock with Redis's and makes the shared log. Returns
   * the cluster's network id.
   */
  async connect(): Promise<string> {
    const { url, ephemeral } = this.options;
    try {
      this.cmd = await connect(url);
      this.reader = this.cmd.duplicate();
      this.reader.on('error', () => {});
      await this.reader.connect();
      await this.relay.start(this.cmd);
    } catch (e) {
      await this.quit();
      throw unreachableRedis(url, e);
    }
    const persisting = await persists(this.cmd);
    if (persisting === false && !ephemeral) {
      await this.quit();
      throw volatileRedis(url);
    }
    if (persisting === null) this.log.warn(`Cluster: could not ask Redis whether it persists (CONFIG is disabled); make sure appendonly is on`);
    const network = await networkId(this.cmd);
    if (network === null) {
      await this.quit();
      throw new ClusterError(`${KEYS.network} in Redis at ${redactUrl(url)} holds no network id; delete the key to make a new one (clients will then trust keys anew)`);
    }
    this.clock.align(await redisTime(this.cmd));
    const hooks = {
      settled: (inc: string) => this.leases?.settled(inc),
      rejoin: () => this.rejoin(),
      restart: () => this.room.shutdown(),
      stopped: () => this.stopped,
    };
    this.events = new SharedLog(this.cmd, this.reader, this.replica, hooks, this.clock, this.log, this.options.checkpointEvents);
    this.watchConnection();
    return network;
  }

  /**
   * The second half, once the stores are open: brings the room up to date from the last
   * checkpoint and the log after it, takes the lease, says hello and follows the log.
   */
  async join(): Promise<void> {
    const events = this.events!;
    await events.catchUp();
    this.leases = new Leases(this.cmd, () => this.clock.monotonic(), this.options.leaseMs);
    await this.leases.renew(this.replica.incarnation, this.options.node);
    events.connected = true;
    await this.post({ t: 'hello', node: this.options.node });
    events.follow();
    this.stopTimers.push(this.clock.every(RENEW_MS, () => void this.renew()));
  }

  /** For the readiness probe: null while Redis answers and the log is followed; else why not. */
  async ready(): Promise<string | null> {
    if (!this.events?.connected) return `unreachable at ${redactUrl(this.options.url)}`;
    await this.cmd.ping();
    return null;
  }

  /** Leaves the cluster: the other servers take this server's users offline now, not at the lease's end. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const stop of this.stopTimers) stop();
    const events = this.events;
    if (events?.connected) {
      await this.post({ t: 'gone', inc: this.replica.incarnation, why: 'stopped' }).catch(() => {});
      await this.leases.release(this.replica.incarnation).catch(() => {});
    }
    events?.abandon();
    await this.quit();
    await events?.ended();
  }

  /** Appends `event` and waits for it to be applied here (see SharedLog). */
  ask<T>(event: ClusterEvent, at?: Reach): Promise<T> {
    return this.events ? this.events.ask<T>(event, at) : Promise.reject(chatError('CLUSTER_DOWN'));
  }

  /** Appends `event`; nobody waits for its outcome. */
  post(event: ClusterEvent): Promise<void> {
    return this.events ? this.events.post(event) : Promise.reject(chatError('CLUSTER_DOWN'));
  }

  /** Reports the server lives whose lease is gone. */
  async judgeLeases(): Promise<void> {
    if (!this.events?.connected || this.stopped) return;
    const lives = new Set(this.replica.nodes.keys());
    for (const s of this.room.all()) {
      const home = this.replica.placement(s)?.home;
      if (home) lives.add(home);
    }
    lives.delete(this.replica.incarnation);
    try {
      for (const inc of await this.leases.ended(lives)) {
        this.post({ t: 'gone', inc, why: 'lease' }).catch(() => this.leases.settled(inc));
      }
    } catch {
      // Redis away: judged when it is back.
    }
  }

  private async quit(): Promise<void> {
    await this.relay.stop();
    for (const c of [this.reader, this.cmd]) {
      if (c?.isOpen) await c.quit().catch(() => c.destroy());
    }
  }

  /** Renews this life's lease; a renewal left unanswered pauses chat, one answered resumes it. */
  private async renew(): Promise<void> {
    const hung = (ms: number) => this.redisAway(`no answer for ${Math.round(ms / 1000)} s`);
    if (await this.leases.renewOnce(this.replica.incarnation, this.options.node, this.events?.connected === true, hung)) this.redisBack();
  }

  /**
   * The others declared this server's life over (it was cut off from Redis for longer than the
   * lease): its users have been taken offline. It carries on as a new life.
   */
  private rejoin(): void {
    const old = this.replica.incarnation;
    this.replica.incarnation = life();
    this.log.error(`Cluster: the other servers took this one (${old}) for gone; its users were taken offline; rejoining as ${this.replica.incarnation}`);
    void this.renew();
    void this.relay.rejoined();
    this.post({ t: 'hello', node: this.options.node }).catch(() => {});
  }

  /** Tells this server's users when Redis goes away and comes back, and logs both. */
  private watchConnection(): void {
    this.cmd.on('error', (e: Error) => this.redisAway(e.message));
    this.cmd.on('ready', () => this.redisBack());
  }

  /** Redis dropped the connection, or hangs: pause (once), and judge no lease until it is back. */
  private redisAway(why: string): void {
    const events = this.events;
    if (!events?.connected || this.stopped) return;
    events.connected = false;
    this.leases?.down();
    this.log.warn(`Cluster: lost Redis at ${redactUrl(this.options.url)} (${why}); reconnecting; users here stay connected`);
    this.tellLocal('paused', NOTICES.paused());
  }

  /** Redis answers again: resume (once). */
  private redisBack(): void {
    const events = this.events;
    if (!events || events.connected || this.stopped || !this.leases) return;
    events.connected = true;
    this.leases.up();
    this.log.info(`Cluster: Redis at ${redactUrl(this.options.url)} is back; chat resumed`);
    void this.renew();
    this.tellLocal('resumed', NOTICES.resumed());
  }

  private tellLocal(event: 'paused' | 'resumed', text: string): void {
    const here = [...this.room.all()].filter((s) => isHere(s.at)).map((s) => s.key);
    this.room.noticeAll(here, event, text);
  }
}
