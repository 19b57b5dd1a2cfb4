/**
 * Test harness: a real server on 127.0.0.1 port 0 with a real users file in a temp folder, and
 * protocol-level test clients speaking real TCP through the project's own codec.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameDecoder, encodeMessage, validate } from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { SERVER_MESSAGES, type ClientMessage, type Feature, type ServerMessage } from '../../common/protocol.js';
import type { Clock } from '../../common/clock.js';
import { makeConfig, type ServerConfig } from '../../server/config.js';
import { memoryLogger } from '../../server/logger.js';
import { Beater } from './heartbeats.js';
import { ChatServer } from '../../server/server.js';

export interface Running {
  server: ChatServer;
  port: number;
  udpPort: number;
  dir: string;
  db: string;
  logs: string[];
  /** Logs a test client in; every client made this way is closed by stop(). */
  /** `features`: what the client says it can do (end-to-end encryption, files). */
  login(user: string, password?: string, features?: Feature[]): ReturnType<typeof TestClient.login>;
  /** A heartbeat sender for `me`'s session (or for none: an attacker's socket); closed by stop(). */
  beater(me?: ServerMessage<'login_ok'>): Promise<Beater>;
  /** login() plus a heartbeat sender for that session, as `hb`. */
  beating(user: string): Promise<Awaited<ReturnType<typeof TestClient.login>> & { hb: Beater }>;
  /** Closes the clients and senders made here, stops the server, removes the temp folder. */
  stop(): Promise<void>;
}

/** Starts a server with test-friendly settings (bcrypt cost 4) on free ports in a temp folder. */
export async function startServer(config: Partial<ServerConfig> = {}, clock?: Clock): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-spec-'));
  const db = config.db ?? join(dir, 'users.json');
  // Debug lines are kept when any category asks for them (--log-level dispatch=debug).
  const logger = memoryLogger({ debug: Object.values(config.logLevels ?? {}).includes('debug') });
  const server = new ChatServer(
    makeConfig({ host: '127.0.0.1', port: 0, udpPort: 0, log: '', bcryptCost: 4, db, dataDir: join(dir, 'data'), ...config }),
    { logger, ...(clock ? { clock } : {}) },
  );
  // A server that refuses to start (the specs of damaged files) leaves no folder behind either.
  const { port, udpPort } = await server.start().catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const clients: TestClient[] = [];
  const beaters: Beater[] = [];
  const login = async (user: string, password?: string, features?: Feature[]) => {
    const c = await TestClient.login(port, user, password, features);
    clients.push(c);
    return c;
  };
  const beater = async (me?: ServerMessage<'login_ok'>) => {
    const b = await Beater.open(server.counters, udpPort, me);
    beaters.push(b);
    return b;
  };
  return {
    server,
    port,
    udpPort,
    dir,
    db,
    logs: logger.lines,
    login,
    beater,
    async beating(user) {
      const c = await login(user);
      return Object.assign(c, { hb: await beater(c.me) });
    },
    async stop() {
      clients.splice(0).forEach((c) => c.close());
      beaters.splice(0).forEach((b) => b.close());
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Predicate = (m: ServerMessage) => boolean;

/**
 * How long a spec waits for a login's answer: a login waits for a real bcrypt hash (cost 10 or 11
 * in some specs, on purpose) on a thread at the lowest CPU priority, which on a busy two-core
 * machine takes seconds, not the usual milliseconds. Specs check the answer, never its speed.
 */
export const LOGIN_WAIT_MS = 20_000;

/**
 * A scripted client: sends typed messages, records everything it receives. Over TCP (`connect`,
 * `login`) or over any duplex stream handed to the server (`over`).
 */
export class TestClient<S extends Duplex = net.Socket> {
  readonly received: ServerMessage[] = [];
  closed = false;
  private readonly waiters: { pred: Predicate; resolve: (m: ServerMessage) => void; reject: (e: Error) => void }[] = [];
  private readonly closeWaiters: (() => void)[] = [];
  private readonly decoder = new FrameDecoder(1 << 20);
  /** Index of the first message `next` has not consumed yet. */
  private cursor = 0;

  private constructor(readonly socket: S) {
    socket.on('data', (chunk) => {
      for (const { frame, error } of this.decoder.push(chunk)) {
        if (error) throw error;
        const msg = validate<ServerMessage>(frame, SERVER_MESSAGES);
        if (msg instanceof ChatError) throw msg;
        this.received.push(msg);
        this.wake();
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.closeWaiters.splice(0).forEach((f) => f());
      for (const w of this.waiters.splice(0)) w.reject(new Error('connection closed while waiting'));
    });
    socket.on('error', () => {});
  }

  /** A client on one end of a stream whose other end the server is serving. */
  static over<S extends Duplex>(stream: S): TestClient<S> {
    return new TestClient(stream);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new TestClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects and logs in; resolves with login_ok (or throws with the error frame's text). */
  static async login(port: number, user: string, password = 'pw', features?: Feature[]): Promise<TestClient & { me: ServerMessage<'login_ok'> }> {
    const c = await TestClient.connect(port);
    const reply = await c.request({ type: 'login', user, password, ...(features ? { features } : {}) }, (m) => m.type === 'login_ok' || m.type === 'error', LOGIN_WAIT_MS);
    if (reply.type !== 'login_ok') throw new Error(`login of ${user} failed: ${JSON.stringify(reply)}`);
    return Object.assign(c, { me: reply });
  }

  send(msg: ClientMessage): void {
    this.socket.write(encodeMessage(msg));
  }

  raw(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Sends and waits for the first reply that matches; for a login, as long as a hash may take (LOGIN_WAIT_MS). */
  request(msg: ClientMessage, pred: Predicate, timeoutMs = msg.type === 'login' ? LOGIN_WAIT_MS : undefined): Promise<ServerMessage> {
    const p = this.next(pred, timeoutMs);
    this.send(msg);
    return p;
  }

  /** Waits for the next not-yet-consumed message that matches (earlier ones are skipped). */
  next<T extends ServerMessage = ServerMessage>(pred: Predicate = () => true, timeoutMs = 4000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting; got ${JSON.stringify(this.received.slice(this.cursor))}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.wake();
    });
  }

  /** Shorthand: the next notice with this event. */
  notice(event: string): Promise<ServerMessage<'notice'>> {
    return this.next((m) => m.type === 'notice' && m.event === event);
  }

  /** Shorthand: the next error frame. */
  error(): Promise<ServerMessage<'error'>> {
    return this.next((m) => m.type === 'error');
  }

  /** Asks for the online list and waits for it. */
  async who(): Promise<ServerMessage<'who'>> {
    return (await this.request({ type: 'who' }, (m) => m.type === 'who')) as ServerMessage<'who'>;
  }

  /** Shorthand: the next chat line. */
  line(): Promise<ServerMessage<'msg'>> {
    return this.next((m) => m.type === 'msg');
  }

  /**
   * A round trip through the server: everything the server sent this client before answering
   * is here afterwards. Used to assert that something did NOT arrive, without sleeping.
   */
  async sync(): Promise<void> {
    await this.request({ type: 'who' }, (m) => m.type === 'who' || (m.type === 'error' && m.code === 'NOT_LOGGED_IN'));
  }

  /** Messages of a type received so far. */
  all<K extends ServerMessage['type']>(type: K): ServerMessage<K>[] {
    return this.received.filter((m) => m.type === type) as ServerMessage<K>[];
  }

  /** Resolves when the server has closed the connection. */
  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((r) => this.closeWaiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      let found = -1;
      for (let i = this.cursor; i < this.received.length; i++) {
        if (w.pred(this.received[i]!)) {
          found = i;
          break;
        }
      }
      if (found < 0) return;
      this.cursor = found + 1;
      this.waiters.shift();
      w.resolve(this.received[found]!);
    }
  }
}

/** Puts two logged-in clients in a private session: `asker` asks, `answerer` accepts. */
export async function startPrivate(asker: TestClient, answerer: TestClient, answererName: string): Promise<void> {
  asker.send({ type: 'pm_request', to: answererName });
  await answerer.notice('pm_invite');
  answerer.send({ type: 'pm_answer', accept: true });
  await asker.notice('pm_started');
}
