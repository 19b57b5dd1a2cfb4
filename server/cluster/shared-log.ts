/**
 * The one log all servers of a cluster share (a Redis stream), as this server uses it: appending
 * a change, and reading the log back in order (from the last checkpoint at start, then as it
 * grows), each entry applied by the replica. A change asked for here settles its asker's promise
 * once it has been read back and applied here: with its outcome, or its refusal. The oldest
 * living server also writes the checkpoints a new server starts from.
 *
 * One Redis connection appends (it keeps the order of its commands, so a connection's changes
 * go in in the order they were asked for); another blocks reading, so a read never holds up an
 * append.
 */
import { ChatError, chatError } from '../../common/errors.js';
import type { Logger } from '../logger.js';
import type { Reach } from '../net/delivery.js';
import { Elsewhere } from '../net/elsewhere.js';
import { CHECKPOINT_EVENTS, CHECKPOINT_MS, loadCheckpoint, missing, saveCheckpoint } from './checkpoint.js';
import type { ReplicaClock } from './clock.js';
import { decodeEvent, encodeEvent, FIELD, type ClusterEvent, type Envelope } from './events.js';
import { entriesOf, KEYS, type Redis } from './redis.js';
import type { Asker, Replica } from './replica.js';

/** Changes asked for here and not yet applied, at most: past this, SERVER_BUSY. */
const MAX_WAITING = 10_000;
/** Events read from the log at a time. */
const READ_COUNT = 1000;
/** How long one blocking read waits (a stop ends it sooner). */
const READ_BLOCK_MS = 2000;

interface Waiter extends Asker {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** What the log needs of the server around it. */
export interface LogHooks {
  /** A server life's end was read (its lease need not be reported again). */
  settled(inc: string): void;
  /** The others declared this server's life over: it carries on as a new one. */
  rejoin(): void;
  /** The checkpoint read at start was trimmed away meanwhile: empty the room to start over. */
  restart(): void;
  /** The server is leaving: no more reading, no rejoining (the server's own flag, the one truth). */
  stopped(): boolean;
}

export class SharedLog {
  /** Redis answers: changes can be appended (set by whoever watches the connection). */
  connected = false;
  private ref = 0;
  private readonly waiting = new Map<number, Waiter>();
  private following: Promise<void> | null = null;
  private sinceCheckpoint = 0;
  private lastCheckpoint: { id: string; at: number } | null = null;

  constructor(
    private readonly cmd: Redis,
    private readonly reader: Redis,
    private readonly replica: Replica,
    private readonly hooks: LogHooks,
    private readonly clock: ReplicaClock,
    private readonly log: Logger,
    private readonly checkpointEvents = CHECKPOINT_EVENTS,
  ) {}

  /** Appends `event` and waits for it to be applied here: its outcome, or its refusal. */
  ask<T>(event: ClusterEvent, at?: Reach): Promise<T> {
    if (!this.connected) return Promise.reject(chatError('CLUSTER_DOWN'));
    if (this.waiting.size >= MAX_WAITING) return Promise.reject(chatError('SERVER_BUSY'));
    const r = ++this.ref;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(r, { resolve: resolve as (v: unknown) => void, reject, ...(at instanceof Elsewhere || !at ? {} : { at }) });
      this.append({ ...event, o: this.replica.incarnation, r }).catch(() => {
        const w = this.waiting.get(r);
        this.waiting.delete(r);
        w?.reject(chatError('CLUSTER_DOWN'));
      });
    });
  }

  /** Appends `event`; nobody waits for its outcome. */
  post(event: ClusterEvent): Promise<void> {
    if (!this.connected && event.t !== 'hello') return Promise.reject(chatError('CLUSTER_DOWN'));
    return this.append({ ...event, o: this.replica.incarnation }).then(() => undefined);
  }

  /**
   * From the last checkpoint to the end of the log, before serving anyone. What it applies
   * happened before this server started: the room and the replica log it as debug only (see
   * Quiet), and one line says what was caught up (who is online: the join line after it).
   */
  async catchUp(): Promise<void> {
    const { quiet } = this.replica;
    quiet.on = true;
    try {
      const what = await this.replay();
      this.log.info(`Cluster: caught up with ${what} from before this start (not logged one by one)`);
    } finally {
      quiet.on = false;
    }
  }

  /** Applies the last checkpoint and the log after it; says what it applied. */
  private async replay(): Promise<string> {
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
        this.hooks.restart();
        continue;
      }
      this.lastCheckpoint = cp ? { id: cp.id, at: this.clock.monotonic() } : null;
      return `${cp ? 'a checkpoint and ' : ''}${n} event${n === 1 ? '' : 's'}`;
    }
  }

  /** Starts reading the log as it grows, for as long as the server runs. */
  follow(): void {
    this.following ??= this.read();
  }

  /** Whoever still waits for a change hears CLUSTER_DOWN (the server is leaving). */
  abandon(): void {
    for (const w of this.waiting.values()) w.reject(chatError('CLUSTER_DOWN'));
    this.waiting.clear();
  }

  /** Resolves when reading has ended (once the server has stopped and the reader closed). */
  ended(): Promise<void> {
    return this.following ?? Promise.resolve();
  }

  private append(e: Envelope): Promise<string> {
    if (this.log.debugging) this.log.debug(`Cluster: appending ${e.t}${e.r !== undefined ? ` (request ${e.r})` : ''}`);
    return this.cmd.xAdd(KEYS.events, '*', { [FIELD]: encodeEvent(e) });
  }

  /** Waits out Redis's absences. */
  private async read(): Promise<void> {
    while (!this.hooks.stopped()) {
      try {
        const reply = await this.reader.sendCommand(['XREAD', 'COUNT', String(READ_COUNT), 'BLOCK', String(READ_BLOCK_MS), 'STREAMS', KEYS.events, this.replica.lastId]);
        for (const [id, fields] of entriesOf(reply)) this.applyEntry(id, fields);
        this.checkpointIfDue();
      } catch {
        if (this.hooks.stopped()) return;
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
    const w = e.o === this.replica.incarnation && e.r !== undefined ? this.waiting.get(e.r) : undefined;
    if (w) this.waiting.delete(e.r!);
    if (this.log.debugging) this.log.debug(`Cluster: applying ${id} (${e.t} from ${e.o === this.replica.incarnation ? 'this server' : e.o})`);
    try {
      const outcome = this.replica.apply(id, e, w);
      if (e.t === 'gone') this.hooks.settled(e.inc);
      if (outcome instanceof Promise) outcome.then(w?.resolve, (err: unknown) => this.failed(id, e, err, w));
      else w?.resolve(outcome);
    } catch (err) {
      if (w) w.reject(err);
      else if (!(err instanceof ChatError)) this.log.error(`Cluster: event ${id} (${e.t}) failed: ${(err as Error).stack ?? err}`);
    }
    if (e.t === 'gone' && e.inc === this.replica.incarnation && !this.hooks.stopped()) this.hooks.rejoin();
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

  /** The oldest living server writes a checkpoint every CHECKPOINT_EVENTS events or CHECKPOINT_MS. */
  private checkpointIfDue(): void {
    const keeper = [...this.replica.nodes.keys()].sort()[0];
    if (keeper !== this.replica.incarnation || this.sinceCheckpoint === 0) return;
    const now = this.clock.monotonic();
    const age = now - (this.lastCheckpoint?.at ?? 0);
    if (this.sinceCheckpoint < this.checkpointEvents && age < CHECKPOINT_MS) return;
    const previous = this.lastCheckpoint?.id ?? null;
    const cp = { id: this.replica.lastId, state: this.replica.snapshot() };
    this.sinceCheckpoint = 0;
    this.lastCheckpoint = { id: cp.id, at: now };
    saveCheckpoint(this.cmd, cp, previous, this.clock.now()).catch((e: Error) => this.log.warn(`Cluster: checkpoint not written: ${e.message}`));
  }
}
