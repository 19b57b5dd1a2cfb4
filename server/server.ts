/**
 * The chat server, put together: the account store, the room (chat state) speaking through
 * Delivery (its outbox over connections), the dispatcher between them, and the listeners. Start
 * and stop in order. This is the only file that knows every layer; see the README's "How the
 * server is built".
 */
import type { Duplex } from 'node:stream';
import { systemClock, type Cancel, type Clock } from '../common/clock.js';
import type { ClientMessage } from '../common/protocol.js';
import { NOTICES } from './chat/notices.js';
import { Room, SWEEP_MS } from './chat/room.js';
import type { ServerConfig } from './config.js';
import { Counters } from './counters.js';
import type { Services } from './dispatch/context.js';
import { dispatch } from './dispatch/table.js';
import { createLogger, type Logger } from './logger.js';
import type { Connection } from './net/connection.js';
import { Admission } from './net/admission.js';
import { BACKLOG_BYTES, Backlogs } from './net/backlogs.js';
import { Delivery } from './net/delivery.js';
import { connectionRoom, openFileLimit } from './net/fd-limit.js';
import { Listener } from './net/listener.js';
import { readTlsFiles } from './net/tls.js';
import { HeartbeatListener } from './net/udp.js';
import { createHasher, type Hasher } from './store/hasher.js';
import { LoginGate } from './store/login-gate.js';
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
  readonly room: Room<Connection>;
  readonly listener: Listener;
  private services: Services | null = null;
  private udp: HeartbeatListener | null = null;
  private stopSweep: Cancel | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    readonly config: ServerConfig,
    deps: ServerDeps = {},
  ) {
    this.log = deps.logger ?? createLogger(config.log);
    this.clock = deps.clock ?? systemClock;
    this.admission = new Admission(config.maxConnections, config.maxPerAddress);
    this.backlogs = new Backlogs(BACKLOG_BYTES, config.maxBacklog);
    this.delivery = new Delivery(this.backlogs);
    this.room = new Room(config, this.clock, this.log, this.delivery);
    this.listener = new Listener(config, {
      clock: this.clock,
      log: this.log,
      counters: this.counters,
      delivery: this.delivery,
      admission: this.admission,
      message: (conn, msg) => this.message(conn, msg),
      lost: (user, conn, reason) => this.room.lost(user, conn, reason),
    });
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
    let store: UserFile | null = null;
    let hasher: Hasher | null = null;
    try {
      const port = await this.listener.listen(tlsFiles);
      this.udp = new HeartbeatListener(room, this.counters, clock, log);
      const udpPort = await this.udp.bind(config.host, config.udpPort ?? port);
      store = await UserFile.open(config.db);
      hasher = createHasher(config.hashThreads, config.hashQueue);
      this.services = {
        config,
        room,
        store,
        hasher,
        logins: new LoginGate(config.maxFailures, clock, config.maxRegistrations),
        counters: this.counters,
        replies: this.delivery,
        log,
      };
      this.fitOpenFileLimit();
      this.listener.open();
      room.heartbeatPort = udpPort;
      this.stopSweep = clock.every(SWEEP_MS, () => this.sweep());
      log.info(`Server started on tcp://${config.host}:${port} and udp://${config.host}:${udpPort} (${store.size} accounts)`);
      return { port, udpPort };
    } catch (e) {
      this.udp?.close();
      await this.listener.close({ type: 'bye', reason: 'shutdown', message: NOTICES.shutdown() });
      await hasher?.close();
      await store?.close();
      throw e;
    }
  }

  /**
   * Keeps connections below the open-file limit, which would otherwise refuse them silently (see
   * net/fd-limit.ts), and says so once if that is lower than --max-connections.
   */
  private fitOpenFileLimit(): void {
    const room = connectionRoom();
    if (room === undefined || room >= this.config.maxConnections) return;
    this.admission.limit = room;
    this.log.warn(
      `The open-file limit (${openFileLimit()}) allows about ${room} connections, fewer than --max-connections ` +
        `${this.config.maxConnections}: at most ${room} are accepted; raise it with ulimit -n or LimitNOFILE`,
    );
  }

  /** Serves one client over any duplex stream (the TCP listener's way in, and the specs'). */
  handle(stream: Duplex, address: string, port: number): void {
    this.listener.handle(stream, address, port);
  }

  get connections(): number {
    return this.listener.connections;
  }

  private message(conn: Connection, msg: ClientMessage): void {
    void dispatch(this.services!, conn, msg).catch((e) => this.listener.fault(conn, e));
  }

  private sweep(): void {
    this.room.sweep();
    this.services?.logins.sweep();
    this.udp?.sweep();
    this.listener.sweep();
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
    this.room.shutdown();
    await this.listener.close({ type: 'bye', reason: 'shutdown', message: NOTICES.shutdown() });
    await this.services?.store.close();
    await this.services?.hasher.close();
    this.log.info('Server stopped');
    await this.log.close();
  }
}
