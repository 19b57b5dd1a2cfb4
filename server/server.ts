/**
 * The chat server, put together: the account store, the room (chat state) speaking through
 * Delivery (its outbox over connections), the dispatcher between them, and the listeners. Start
 * and stop in order. This is the only file that knows every layer; see the README's "How the
 * server is built".
 */
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { hostPort } from '../common/address.js';
import { systemClock, type Cancel, type Clock } from '../common/clock.js';
import type { ClientMessage } from '../common/protocol.js';
import { LocalChat, type Chat } from './chat/chat.js';
import { ClusterChat } from './cluster/cluster-chat.js';
import { ReplicaClock } from './cluster/clock.js';
import { Quiet } from './cluster/quiet.js';
import { NOTICES } from './chat/notices.js';
import { Operator } from './chat/operator.js';
import { SWEEP_MS } from './chat/housekeeping.js';
import { Room } from './chat/room.js';
import { Transfers } from './chat/transfers.js';
import { DEFAULTS, type ServerConfig } from './config.js';
import { Counters } from './counters.js';
import type { Services } from './dispatch/context.js';
import { dispatch } from './dispatch/table.js';
import { createLogger, type Logger } from './logger.js';
import type { BaseConnection } from './net/connection.js';
import { Admission } from './net/admission.js';
import { BACKLOG_BYTES, Backlogs } from './net/backlogs.js';
import { Delivery, type Reach } from './net/delivery.js';
import { connectionRoom, openFileLimit } from './net/fd-limit.js';
import type { IrcConnection } from './net/irc/connection.js';
import { ircProtocol } from './net/irc/protocol.js';
import { Listener, type ListenerDeps } from './net/listener.js';
import { readTlsFiles } from './net/tls.js';
import { HeartbeatListener } from './net/udp.js';
import type { AccountStore } from './store/accounts.js';
import { createHasher, type Hasher } from './store/hasher.js';
import { LoginGate } from './store/login-gate.js';
import { OPS_MAX_CONNECTIONS } from './ops-http.js';
import { HistoryFile } from './store/history-file.js';
import { MailboxFile } from './store/mailbox-file.js';
import { networkIdIn } from './store/network-id.js';
import { refusedNames, refusedNamesWarning } from './store/refused-names.js';
import { UserFile } from './store/user-file.js';

export interface ServerDeps {
  clock?: Clock;
  logger?: Logger;
}

export class ChatServer {
  readonly log: Logger;
  readonly clock: Clock;
  readonly counters = new Counters();
  readonly admission: Admission;
  readonly backlogs: Backlogs;
  readonly delivery: Delivery;
  readonly room: Room<Reach>;
  /** What changes the room: applied at once on one server; on a cluster, through the shared log. */
  readonly chat: Chat<Reach>;
  /** With --redis: this server's part of the cluster. */
  readonly cluster: ClusterChat | null;
  /** The console's kick, mute and wall. */
  readonly operator: Operator<Reach>;
  /** File transfers between users, relayed and never kept. */
  readonly files: Transfers<Reach>;
  readonly listener: Listener;
  /** IRC listeners (--irc-port, --irc-tls-port): the same room, accounts and limits over IRC. */
  readonly irc: { plain: Listener<IrcConnection> | null; tls: Listener<IrcConnection> | null };
  /** The bound IRC ports, once started. */
  ircPorts: { plain?: number; tls?: number } = {};
  private services: Services | null = null;
  private udp: HeartbeatListener | null = null;
  private stopSweep: Cancel | null = null;
  private stopping: Promise<void> | null = null;
  private history: HistoryFile | null = null;
  private mailbox: MailboxFile | null = null;

  constructor(
    readonly config: ServerConfig,
    deps: ServerDeps = {},
  ) {
    this.log = deps.logger ?? createLogger(config.log);
    this.clock = deps.clock ?? systemClock;
    this.admission = new Admission(config.maxConnections, config.maxPerAddress);
    this.backlogs = new Backlogs(BACKLOG_BYTES, config.maxBacklog);
    this.delivery = new Delivery(this.backlogs, this.counters);
    if (config.redis) {
      // Every server of a cluster applies each change at the time the log gives it (see ReplicaClock).
      const clock = new ReplicaClock(this.clock);
      // What the room applies while the server catches up happened before it started (see Quiet).
      const quiet = new Quiet();
      this.room = new Room(config, clock, quiet.wrap(this.log.for('chat')), this.delivery);
      this.cluster = new ClusterChat(this.room, this.delivery, clock, this.log.for('cluster'), {
        url: config.redis,
        node: config.nodeId ?? `${config.host}:${config.port}`,
        ephemeral: config.redisEphemeral,
        historyDays: config.historyDays,
        historyMax: config.historyMax,
        offlineDays: config.offlineDays,
        maxFailures: config.maxFailures,
        maxRegistrations: config.maxRegistrations,
        heartbeatTimeout: config.heartbeatTimeout,
        ...(config.clusterLeaseMs ? { leaseMs: config.clusterLeaseMs } : {}),
        ...(config.clusterCheckpointEvents ? { checkpointEvents: config.clusterCheckpointEvents } : {}),
      }, quiet);
      this.chat = this.cluster;
    } else {
      this.room = new Room(config, this.clock, this.log.for('chat'), this.delivery);
      this.cluster = null;
      this.chat = new LocalChat(this.room);
    }
    this.operator = new Operator(this.chat);
    // On a cluster, a transfer to a user of another server has its other half there (cluster/file-relay.ts).
    this.files = new Transfers(config, this.room, this.delivery, this.clock, this.log.for('chat'), this.cluster?.relay);
    this.cluster?.relay.listen(this.files);
    const listenerDeps: ListenerDeps = {
      clock: this.clock,
      log: this.log.for('net'),
      counters: this.counters,
      delivery: this.delivery,
      admission: this.admission,
      message: (conn, msg) => this.message(conn, msg),
      lost: (user, conn, reason) => this.chat.lost(user, conn, reason),
    };
    this.listener = new Listener(config, listenerDeps);
    const irc = ircProtocol({
      channel: config.ircChannel,
      pingMs: (config.heartbeatTimeout * 1000) / 2,
      alive: (user) => this.room.alive(user),
    });
    const ircListener = (port: number | undefined) => (port === undefined ? null : new Listener({ ...config, port }, listenerDeps, irc));
    this.irc = { plain: ircListener(config.ircPort), tls: ircListener(config.ircTlsPort) };
  }

  /**
   * Reads the TLS files, binds the TCP and UDP ports, then opens the users file and starts
   * serving. Resolves with the bound ports. Whatever can fail for a reason outside the server (a
   * TLS file, a port in use) comes before anything is written: a mistake leaves no new users
   * file, lock or log behind. Connections that arrive in between wait for the start to finish.
   */
  async start(): Promise<{ port: number; udpPort: number }> {
    const { config, room, log, clock } = this;
    const tlsFiles = config.tlsCert && config.tlsKey ? readTlsFiles(config.tlsCert, config.tlsKey) : null;
    let store: AccountStore | null = null;
    let hasher: Hasher | null = null;
    try {
      const port = await this.listener.listen(tlsFiles);
      await this.listenIrc(tlsFiles);
      this.udp = new HeartbeatListener(room, this.counters, clock, log.for('net'));
      const udpPort = await this.udp.bind(config.host, config.udpPort ?? port);
      const { cluster } = this;
      if (cluster) {
        // Accounts, history and offline messages in Redis; no users file, no data folder.
        await cluster.start();
        store = cluster.accounts;
        room.network = cluster.network;
      } else {
        store = await UserFile.open(config.db);
        this.openMemory();
      }
      hasher = createHasher(config.hashThreads, config.hashQueue);
      this.services = {
        config,
        room,
        chat: this.chat,
        store,
        hasher,
        logins: cluster ? cluster.gate : new LoginGate(config.maxFailures, clock, config.maxRegistrations),
        counters: this.counters,
        replies: this.delivery,
        log: log.for('dispatch'),
        files: this.files,
      };
      this.fitOpenFileLimit();
      this.listener.open();
      this.irc.plain?.open();
      this.irc.tls?.open();
      room.heartbeatPort = udpPort;
      this.stopSweep = clock.every(SWEEP_MS, () => this.sweep());
      log.info(`Server started on ${this.urls(port, udpPort)} (${store.size} accounts)`);
      const refused = refusedNamesWarning(refusedNames(store.names()));
      if (refused) log.warn(refused);
      const { plain, tls } = this.ircPorts;
      if (plain !== undefined || tls !== undefined) log.info(`IRC listening on ${this.ircUrls()} (channel ${config.ircChannel})`);
      return { port, udpPort };
    } catch (e) {
      await this.closeMemory();
      await this.cluster?.stop();
      this.udp?.close();
      await this.listener.close({ type: 'bye', reason: 'shutdown', message: NOTICES.shutdown() });
      await this.closeIrc();
      await hasher?.close();
      await store?.close();
      throw e;
    }
  }

  /** Binds the IRC ports (the TLS one with the same certificate as the native listener). */
  private async listenIrc(tlsFiles: ReturnType<typeof readTlsFiles> | null): Promise<void> {
    if (this.irc.plain) this.ircPorts.plain = await this.irc.plain.listen(null);
    if (this.irc.tls) {
      if (!tlsFiles) throw new Error('--irc-tls-port needs --tls-cert and --tls-key');
      this.ircPorts.tls = await this.irc.tls.listen(tlsFiles);
    }
  }

  /**
   * "tcp://host:5555 and udp://host:5555" (tls:// when it serves TLS), for the log and the ready
   * line: both say the same, from here.
   */
  urls(port: number, udpPort: number): string {
    const { host, tlsCert } = this.config;
    return `${tlsCert ? 'tls' : 'tcp'}://${hostPort(host, port)} and udp://${hostPort(host, udpPort)}`;
  }

  /** "irc://host:6667 and ircs://host:6697", for the log and the console's first lines. */
  ircUrls(): string {
    const { host } = this.config;
    const { plain, tls } = this.ircPorts;
    return [plain !== undefined ? `irc://${hostPort(host, plain)}` : '', tls !== undefined ? `ircs://${hostPort(host, tls)}` : ''].filter(Boolean).join(' and ');
  }

  private async closeIrc(): Promise<void> {
    const bye = { type: 'bye', reason: 'shutdown', message: NOTICES.shutdown() } as const;
    await Promise.all([this.irc.plain?.close(bye), this.irc.tls?.close(bye)]);
  }

  /** History (unless --history-days 0), the offline mailbox and the network id, in --data-dir. */
  private openMemory(): void {
    const { config, clock } = this;
    // Logged under `store`, with the files beside the users file (README, Operating it).
    const log = this.log.for('store');
    const dir = resolve(config.dataDir);
    this.room.network = networkIdIn(dir);
    this.history = config.historyDays > 0 ? HistoryFile.open({ dir, days: config.historyDays, max: config.historyMax, clock, log }) : null;
    this.mailbox = MailboxFile.open({ dir, days: config.offlineDays, clock, log });
    this.room.remember({ ...(this.history ? { history: this.history } : {}), mailbox: this.mailbox });
  }

  private async closeMemory(): Promise<void> {
    await this.history?.close();
    await this.mailbox?.close();
  }

  /**
   * Keeps connections below the open-file limit, which would otherwise refuse them silently (see
   * net/fd-limit.ts), and says so once if that is lower than --max-connections: a warning when the
   * operator asked for more, a note when only the default is higher (most machines' limit is).
   * The metrics endpoint's connections (--metrics-port) are kept room for: they are descriptors too.
   */
  private fitOpenFileLimit(): void {
    const room = connectionRoom(this.config.metricsPort === undefined ? 0 : OPS_MAX_CONNECTIONS);
    const { maxConnections } = this.config;
    if (room === undefined || room >= maxConnections) return;
    this.admission.limit = room;
    const says = `The open-file limit (${openFileLimit()}) allows about ${room} connections`;
    const raise = 'raise it with ulimit -n or LimitNOFILE';
    if (maxConnections === DEFAULTS.maxConnections) this.log.info(`${says}: at most ${room} are accepted; for more, ${raise}`);
    else this.log.warn(`${says}, fewer than --max-connections ${maxConnections}: at most ${room} are accepted; ${raise}`);
  }

  /** Serves one client over any duplex stream (the TCP listener's way in, and the specs'). */
  handle(stream: Duplex, address: string, port: number): void {
    this.listener.handle(stream, address, port);
  }

  get connections(): number {
    return this.listener.connections + (this.irc.plain?.connections ?? 0) + (this.irc.tls?.connections ?? 0);
  }

  /** Open connections by transport, for the metrics (a second listener adds its own). */
  connectionsByTransport(): Record<string, number> {
    return {
      [this.config.tlsCert ? 'tls' : 'tcp']: this.listener.connections,
      ...(this.irc.plain ? { irc: this.irc.plain.connections } : {}),
      ...(this.irc.tls ? { ircs: this.irc.tls.connections } : {}),
    };
  }

  /** Started and not stopping: what the readiness probe calls "listening". */
  get serving(): boolean {
    return this.services !== null && this.stopping === null;
  }

  /** Password hashes running and waiting (0 before the start). */
  get hashDepth(): number {
    return this.services?.hasher.depth ?? 0;
  }

  /** To the dispatcher; settles once handled (an IRC NOTICE's errors go unanswered until then). */
  private message(conn: BaseConnection, msg: ClientMessage): Promise<void> {
    return dispatch(this.services!, conn, msg).catch((e) => this.listener.fault(conn, e));
  }

  private sweep(): void {
    this.chat.sweep();
    this.files.sweep();
    this.services?.logins.sweep();
    this.udp?.sweep();
    this.listener.sweep();
    this.irc.plain?.sweep();
    this.irc.tls?.sweep();
  }

  /**
   * Graceful shutdown: every client is told, output already accepted is flushed, connections
   * close, the users file is released, logs are flushed. Safe to call twice.
   */
  stop(): Promise<void> {
    return (this.stopping ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.log.info('Server shutting down');
    this.stopSweep?.();
    this.udp?.close();
    this.files.shutdown();
    this.room.shutdown();
    await this.listener.close({ type: 'bye', reason: 'shutdown', message: NOTICES.shutdown() });
    await this.closeIrc();
    // The other servers take this one's users offline now, rather than when its lease runs out.
    await this.cluster?.stop();
    await this.closeMemory();
    await this.services?.store.close();
    await this.services?.hasher.close();
    this.log.info('Server stopped');
    await this.log.close();
  }
}
