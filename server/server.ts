/**
 * The chat server: listeners, connection admission, and orderly start and stop. It accepts any
 * duplex stream through `handle()`, so the TCP (or TLS) listener is only one way in.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { chatError } from '../common/errors.js';
import { PROTOCOL_VERSION } from '../common/protocol.js';
import { systemClock, type Cancel, type Clock } from '../common/clock.js';
import type { ServerConfig } from './config.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { dispatch } from './commands/table.js';
import type { Services } from './commands/context.js';
import { createHasher, type Hasher } from './hasher.js';
import { Hub } from './hub.js';
import { createLogger, type Logger } from './logger.js';
import { NOTICES } from './notices.js';
import { LoginGate } from './login-gate.js';
import { UserStore } from './userstore.js';
import { HeartbeatListener } from './udp.js';

/** Handlers for a connection refused at the door: it only gets its error and is closed. */
const IGNORE: ConnectionEvents = { message: () => {}, closed: () => {}, fault: () => {} };

export interface ServerDeps {
  clock?: Clock;
  logger?: Logger;
}

export class ChatServer extends EventEmitter {
  readonly hub: Hub;
  readonly log: Logger;
  private services: Services | null = null;
  private listener: net.Server | null = null;
  private udp: HeartbeatListener | null = null;
  private readonly conns = new Set<Connection>();
  private readonly perAddress = new Map<string, number>();
  private stopSweep: Cancel | null = null;
  /** One set of handlers shared by every connection (closures per connection cost memory). */
  private readonly events: ConnectionEvents = {
    message: (c, msg) => void dispatch(this.services!, c, msg).catch((e) => this.fault(c, e)),
    closed: (c, reason) => this.closed(c, reason),
    fault: (c, e) => this.fault(c, e),
  };
  private stopping: Promise<void> | null = null;

  constructor(
    readonly config: ServerConfig,
    deps: ServerDeps = {},
  ) {
    super();
    this.log = deps.logger ?? createLogger(config.log);
    this.hub = new Hub(config, deps.clock ?? systemClock, this.log);
  }

  /**
   * Reads the TLS files, opens the users file, then the TCP and UDP sockets. Resolves with the
   * bound ports. The TLS files come first: a mistake there must not leave a new users file behind.
   */
  async start(): Promise<{ port: number; udpPort: number }> {
    const { config, hub } = this;
    const tlsOptions = config.tlsCert && config.tlsKey ? tlsFiles(config.tlsCert, config.tlsKey) : null;
    const store = await UserStore.open(config.db);
    let hasher: Hasher | null = null;
    try {
      hasher = createHasher(config.hashThreads, config.hashQueue);
      this.services = { hub, store, hasher, logins: new LoginGate(config.maxFailures, hub.clock) };
      const port = await this.listen(tlsOptions);
      this.udp = new HeartbeatListener(hub);
      const udpPort = await this.udp.bind(config.host, config.udpPort ?? port);
      hub.udpPort = udpPort;
      this.stopSweep = hub.clock.every(1000, () => this.sweep());
      this.log.info(`Server started on tcp://${config.host}:${port} and udp://${config.host}:${udpPort} (${store.size} accounts)`);
      return { port, udpPort };
    } catch (e) {
      this.listener?.close();
      await hasher?.close();
      await store.close();
      throw e;
    }
  }

  private listen(tlsOptions: { cert: Buffer; key: Buffer } | null): Promise<number> {
    const { config } = this;
    const onSocket = (socket: net.Socket) => this.handle(socket, socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    let server: net.Server;
    if (tlsOptions) {
      // The handshake comes before handle(), so it needs its own deadline and cap (slowloris).
      // The cap leaves room for handshakes whose clients handle() will refuse with a clear error.
      const options = { ...tlsOptions, handshakeTimeout: config.loginTimeout * 1000 };
      server = tls.createServer(options, onSocket);
      server.maxConnections = 2 * config.maxConnections;
    } else {
      server = net.createServer(onSocket);
    }
    // A client that is not speaking TLS to a TLS listener, or is too slow to, fails the handshake.
    server.on('tlsClientError', (e: Error & { code?: string; reason?: string }, socket: tls.TLSSocket) => {
      const why = e.reason ?? e.message.trim();
      const hint = e.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || e.code === 'ERR_SSL_HTTP_REQUEST' ? ' (client not using TLS?)' : '';
      this.log.warn(`TLS handshake failed from ${socket.remoteAddress}: ${why}${hint}`);
      // With a listener here Node leaves the socket open (even after a handshake timeout).
      socket.destroy();
    });
    this.listener = server;
    return new Promise((resolve, reject) => {
      // A failed listen is the caller's to report (once, as one line); later errors are logged.
      server.once('error', reject);
      server.listen({ host: config.host, port: config.port }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log.error(`Listener error: ${e.message}`));
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Serves one client over any duplex stream. */
  handle(stream: Duplex, address: string, port: number): void {
    const { config, hub } = this;
    if (this.stopping) {
      stream.destroy();
      return;
    }
    if (stream instanceof net.Socket) stream.setNoDelay(true);
    const fromHere = this.perAddress.get(address) ?? 0;
    if (this.conns.size >= config.maxConnections || fromHere >= config.maxPerAddress) {
      this.log.warn(`Refused connection from ${address}:${port}: too many connections`);
      const refused = new Connection(stream, address, port, config, IGNORE);
      refused.sendError(chatError('TOO_MANY_CONNECTIONS'));
      refused.close('too many connections');
      return;
    }
    this.perAddress.set(address, fromHere + 1);
    hub.stats.totalConnections++;
    const conn = new Connection(stream, address, port, config, this.events);
    this.conns.add(conn);
    this.log.info(`Accepted connection from ${conn.label}`);
    conn.send({ type: 'hello', server: 'tinychat', version: PROTOCOL_VERSION, guests: config.allowGuests });
    conn.startLoginDeadline(hub.clock, config.loginTimeout * 1000);
  }

  private closed(conn: Connection, reason: string): void {
    this.conns.delete(conn);
    const left = (this.perAddress.get(conn.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(conn.address, left);
    else this.perAddress.delete(conn.address);
    if (conn.session) this.hub.lost(conn.session, conn, reason);
    else this.log.info(`Connection from ${conn.label} closed: ${reason}`);
  }

  /** A bug hit while serving one connection: log it and drop that connection, nothing else. */
  private fault(conn: Connection, e: unknown): void {
    this.log.error(`Internal error on connection ${conn.label}: ${(e as Error)?.stack ?? e}`);
    conn.destroy('internal error');
  }

  private sweep(): void {
    this.hub.sweep();
    this.services?.logins.sweep();
    this.udp?.sweep();
  }

  get connections(): number {
    return this.conns.size;
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
    for (const s of [...this.hub.all()]) this.hub.end(s, 'shutdown');
    const bye = NOTICES.shutdown();
    const listenerClosed = new Promise<void>((resolve) => {
      if (!this.listener) return resolve();
      this.listener.close(() => resolve());
      // Peers that never read their last bytes are cut by Connection.close after 2 s.
      setTimeout(resolve, 3000).unref();
    });
    for (const c of [...this.conns]) {
      c.send({ type: 'bye', reason: 'shutdown', message: bye });
      c.close('server shutting down');
    }
    await listenerClosed;
    await this.services?.store.close();
    await this.services?.hasher.close();
    this.log.info('Server stopped');
    await this.log.close();
  }
}

/**
 * Reads the TLS certificate and key and checks that they make a usable pair, so a mistake stops
 * the start with one line naming the file, not an OpenSSL trace at the first client.
 */
function tlsFiles(certPath: string, keyPath: string): { cert: Buffer; key: Buffer } {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a folder' }[err.code ?? ''] ?? err.message;
      throw new Error(`cannot read TLS ${what} ${path}: ${why}`);
    }
  };
  const files = { cert: read('certificate', certPath), key: read('key', keyPath) };
  try {
    tls.createSecureContext(files);
  } catch (e) {
    throw new Error(`TLS certificate ${certPath} and key ${keyPath} are not usable: ${(e as Error).message}`);
  }
  return files;
}
