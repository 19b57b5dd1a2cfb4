/**
 * The way in: the TCP (or TLS) listener, admission (connection limits in all and per address),
 * and the life of each connection from greeting to close. It accepts any duplex stream through
 * `handle()`, so the socket listener is only one way in (specs use in-memory pairs). What it
 * speaks is its Protocol: tinychat's frames by default, IRC for an IRC listener (irc/protocol.ts);
 * every listener of a server shares the same admission, delivery and dispatcher.
 *
 * What a connection says goes to the dispatcher (`message`); a connection whose user is logged in
 * and that closes is reported as lost (`lost`), so the chat can keep the session for a resume.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Clock } from '../../common/clock.js';
import { chatError, errorMessage, type ChatError } from '../../common/errors.js';
import { PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../../common/protocol.js';
import { fileWindow, type ServerConfig } from '../config.js';
import type { Counters } from '../counters.js';
import type { Logger } from '../logger.js';
import { Batcher } from './batcher.js';
import type { BaseConnection, ConnectionEvents, ConnectionOptions } from './connection.js';
import { Connection } from './native-connection.js';
import type { Admission } from './admission.js';
import type { Delivery } from './delivery.js';
import { LogThrottle } from './log-throttle.js';
import type { TlsFiles } from './tls.js';

export type ListenerConfig = Pick<
  ServerConfig,
  'host' | 'port' | 'maxBody' | 'maxOutput' | 'loginTimeout' | 'allowGuests' | 'maxConnections' | 'maxFile' | 'fileRate'
>;

export interface ListenerDeps {
  clock: Clock;
  log: Logger;
  counters: Counters;
  delivery: Delivery;
  /** Places for connections, in all and per address. */
  admission: Admission;
  /** A message from a connection, for the dispatcher; the promise settles once it is handled. */
  message(conn: BaseConnection, msg: ClientMessage): void | Promise<void>;
  /** `user`'s connection closed without a logout. */
  lost(user: string, conn: BaseConnection, reason: string): void;
}

/** What a listener speaks: how its connections are made, how they are named, what they hear first. */
export interface Protocol<C extends BaseConnection = BaseConnection> {
  connect(stream: Duplex, address: string, port: number, options: ConnectionOptions, events: ConnectionEvents): C;
  /** A connection's address as log lines name it (the connection's own `label`). */
  label(address: string, port: number): string;
  /** The first message of every connection, if any. */
  hello(config: ListenerConfig): ServerMessage | null;
}

/** tinychat's own frames: a `hello` first, then the client logs in. */
export const NATIVE_PROTOCOL: Protocol<Connection> = {
  connect: (stream, address, port, options, events) => new Connection(stream, address, port, options, events),
  label: (address, port) => `${address}:${port}`,
  hello: (config) => ({
    type: 'hello',
    server: 'tinychat',
    version: PROTOCOL_VERSION,
    guests: config.allowGuests,
    maxBody: config.maxBody,
    maxFile: config.maxFile,
    fileWindow: fileWindow(config.maxOutput),
    fileRate: config.fileRate,
  }),
};

/** How long the listener waits at shutdown for peers to take their last bytes (see Connection.close). */
const DRAIN_MS = 3000;

/**
 * Connections whose acceptance is logged, a second; past it they are counted and summed up in a
 * line, and one of them that closes without logging in is not logged either (one that logs in
 * is named by its login line). Connecting and hanging up wrote 930 KiB of log a second otherwise.
 */
export const ACCEPTS_LOGGED_PER_SECOND = 20;

export class Listener<C extends BaseConnection = Connection> {
  private server: net.Server | null = null;
  private readonly conns = new Set<C>();
  private readonly batcher = new Batcher();
  /** Refused connections: one log line per address a minute, with a count. */
  private readonly refusals: LogThrottle;
  /** Failed TLS handshakes: one log line per address a minute, with a count. */
  private readonly handshakes: LogThrottle;
  /** Errors of the listening socket itself (out of file descriptors): one line a minute. */
  private readonly listenErrors: LogThrottle;
  /** Accepted connections: ACCEPTS_LOGGED_PER_SECOND lines a second, then a count. */
  private readonly accepts: LogThrottle;
  /** Connections accepted without a line: they close without one too, unless their user logged in. */
  private readonly unlogged = new WeakSet<BaseConnection>();
  private stopping = false;
  /** Streams that arrived before open(): served once the server is ready. */
  private early: [Duplex, string, number][] | null = [];
  /** One set of handlers shared by every connection (closures per connection cost memory). */
  private readonly events: ConnectionEvents;
  /** Handlers for a connection refused at the door: it only gets its error and is closed. */
  private readonly ignore: ConnectionEvents;
  /** Every connection's options: one object, not one per connection (see events). */
  private readonly options: ConnectionOptions;
  /** What a connection that has not logged in by the deadline gets: shared, as events are. */
  private readonly expired: (conn: BaseConnection) => void;

  constructor(
    private readonly config: ListenerConfig,
    private readonly deps: ListenerDeps,
    private readonly protocol: Protocol<C> = NATIVE_PROTOCOL as unknown as Protocol<C>,
  ) {
    const invalid = (c: BaseConnection, e: ChatError) => deps.delivery.reply(c, errorMessage(e));
    const fault = (c: BaseConnection, e: unknown) => this.fault(c, e);
    this.events = {
      message: (c, msg) => {
        if (deps.log.debugging) deps.log.debug(`Received ${msg.type} from ${c.label}`);
        return deps.message(c, msg);
      },
      invalid,
      closed: (c, reason) => this.closed(c, reason),
      fault,
    };
    this.ignore = { message: () => {}, invalid, closed: () => {}, fault };
    this.options = { maxBody: config.maxBody, maxOutput: config.maxOutput, clock: deps.clock, batcher: this.batcher, counters: deps.counters };
    this.expired = (c) => {
      deps.delivery.reply(c, errorMessage(chatError('LOGIN_TIMEOUT')));
      c.close('no login within the time allowed');
    };
    this.refusals = new LogThrottle(deps.clock, deps.log, {
      periodMs: 60_000,
      maxKeys: 100,
      tooMany: 'Refusing connections from over 100 addresses: counting them, not logging each',
      summary: (address, n) => `Refused ${n} more connections from ${address} in the last minute: too many connections`,
    });
    // A failed handshake comes before handle(), so the accepted connections' throttle never sees
    // it: without its own, every plaintext probe of the TLS port was a line (300 probes, 300 lines).
    this.handshakes = new LogThrottle(deps.clock, deps.log, {
      periodMs: 60_000,
      maxKeys: 100,
      tooMany: 'Failed TLS handshakes from over 100 addresses: counting them, not logging each',
      summary: (address, n) => `${n} more failed TLS handshakes from ${address} in the last minute`,
    });
    this.listenErrors = new LogThrottle(deps.clock, deps.log, {
      periodMs: 60_000,
      maxKeys: 10,
      tooMany: 'Listener errors of many kinds: counting them, not logging each',
      summary: (code, n) => `${n} more listener errors (${code}) in the last minute`,
    });
    this.accepts = new LogThrottle(deps.clock, deps.log, {
      periodMs: 1000,
      maxKeys: 1,
      tooMany: '',
      lines: ACCEPTS_LOGGED_PER_SECOND,
      level: 'info',
      summary: (_, n) => `${n} more connections accepted in a second, not logged one by one (those that log in are named at login)`,
    });
  }

  get connections(): number {
    return this.conns.size;
  }

  /** Listens on the configured host and port (TLS with `tlsFiles`); resolves with the bound port. */
  listen(tlsFiles: TlsFiles | null): Promise<number> {
    const { config } = this;
    const onSocket = (socket: net.Socket) => this.handle(socket, socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    let server: net.Server;
    if (tlsFiles) {
      // The handshake comes before handle(), so it needs its own deadline and cap (slowloris).
      // The cap leaves room for handshakes whose clients handle() will refuse with a clear error.
      server = tls.createServer({ ...tlsFiles, handshakeTimeout: config.loginTimeout * 1000 }, onSocket);
      server.maxConnections = 2 * config.maxConnections;
    } else {
      server = net.createServer(onSocket);
    }
    // A client that is not speaking TLS to a TLS listener, or is too slow to, fails the handshake.
    server.on('tlsClientError', (e: Error & { code?: string; reason?: string }, socket: tls.TLSSocket) => {
      const why = e.reason ?? e.message.trim();
      const hint = e.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || e.code === 'ERR_SSL_HTTP_REQUEST' ? ' (client not using TLS?)' : '';
      // A peer that resets at once is gone before its address can be read: say so, not "undefined".
      const from = socket.remoteAddress ?? 'an address unknown (the peer reset the connection at once)';
      this.handshakes.hit(from, () => `TLS handshake failed from ${from}: ${why}${hint} (further failures from it are counted for a minute)`);
      // With a listener here Node leaves the socket open (even after a handshake timeout).
      socket.destroy();
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      // A failed listen is the caller's to report (once, as one line); later errors are logged.
      server.once('error', reject);
      server.listen({ host: config.host, port: config.port }, () => {
        server.off('error', reject);
        // Out of file descriptors (EMFILE) comes here once per refused accept: said once a
        // minute; the connections already open go on being served.
        server.on('error', (e: NodeJS.ErrnoException) =>
          this.listenErrors.hit(e.code ?? 'error', () => `Listener error: ${e.message}${e.code === 'EMFILE' || e.code === 'ENFILE' ? ' (out of file descriptors: new connections are refused until some close; raise LimitNOFILE / ulimit -n)' : ''}`),
        );
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** The server is ready: serve the connections that came while it was starting, and all after. */
  open(): void {
    const early = this.early ?? [];
    this.early = null;
    for (const [stream, address, port] of early) if (!stream.destroyed) this.handle(stream, address, port);
  }

  /** Serves one client over any duplex stream. */
  handle(stream: Duplex, address: string, port: number): void {
    const { config, deps } = this;
    if (this.stopping) {
      stream.destroy();
      return;
    }
    if (this.early) {
      this.early.push([stream, address, port]);
      return;
    }
    if (stream instanceof net.Socket) stream.setNoDelay(true);
    const { protocol, options } = this;
    const full = deps.admission.take(address);
    if (full) {
      const why = full.limit === 'server' ? `the server is full (--max-connections ${full.max})` : `that address has ${full.max} (--max-per-address)`;
      this.refusals.hit(address, () => `Refused connection from ${protocol.label(address, port)}: ${why} (further refusals from it are counted for a minute)`);
      const refused = protocol.connect(stream, address, port, options, this.ignore);
      deps.delivery.reply(refused, errorMessage(chatError('TOO_MANY_CONNECTIONS', full.limit, full.max)));
      refused.close('too many connections');
      return;
    }
    deps.counters.connections++;
    const conn = protocol.connect(stream, address, port, options, this.events);
    this.conns.add(conn);
    if (!this.accepts.hit('accepted', () => `Accepted connection from ${conn.label}`)) this.unlogged.add(conn);
    const hello = protocol.hello(config);
    if (hello) deps.delivery.reply(conn, hello);
    conn.startLoginDeadline(config.loginTimeout * 1000, this.expired);
  }

  private closed(conn: BaseConnection, reason: string): void {
    this.conns.delete(conn as C);
    this.deps.admission.release(conn.address);
    const user = this.deps.delivery.lost(conn);
    if (user !== undefined) this.deps.lost(user, conn, reason);
    else if (!this.unlogged.has(conn)) this.deps.log.info(`Connection from ${conn.label} closed: ${reason}`);
  }

  /** Periodic: ends the log throttles' periods. */
  sweep(): void {
    this.refusals.sweep();
    this.handshakes.sweep();
    this.listenErrors.sweep();
    this.accepts.sweep();
  }

  /** A bug hit while serving one connection: log it and drop that connection, nothing else. */
  fault(conn: BaseConnection, e: unknown): void {
    this.deps.log.error(`Internal error on connection ${conn.label}: ${(e as Error)?.stack ?? e}`);
    conn.destroy('internal error');
  }

  /**
   * Stops taking connections; every connection still open gets `bye` after what is already
   * queued for it and is closed. Resolves once the listener has closed, or after DRAIN_MS.
   */
  close(bye: ServerMessage<'bye'>): Promise<void> {
    this.stopping = true;
    for (const [stream] of this.early ?? []) stream.destroy();
    this.early = null;
    const closed = new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      // Peers that never read their last bytes are cut by Connection.close after its linger.
      this.deps.clock.after(DRAIN_MS, resolve);
    });
    for (const c of [...this.conns]) {
      this.deps.delivery.reply(c, bye);
      c.close('server shutting down');
    }
    return closed;
  }
}
