/**
 * The client's life with the server, as a state machine:
 *
 *   connecting ─► logging-in ─► ready ─► logging-out ─► done (exit 0)
 *                     ▲           │  ▲
 *                     │      lost │  │ resumed / logged in again
 *                     │           ▼  │
 *                     │      reconnecting ⇄ resuming ──► done (exit 1: a login again refused for good)
 *                     └─ wrong password: ask again (throttled: after the wait)
 *
 * While the TCP connection is down the heartbeats go on, so the server keeps the session for us
 * and `resume` takes it back without a password. If the server has forgotten the session (it
 * restarted, or we were silent too long) we log in again with the password we know.
 *
 * Given the servers of a cluster, each failed attempt goes on with the next server in turn (see
 * servers.ts), and the status row says which one is being tried: any server of the cluster can
 * resume the session, or log us in again. failover.ts makes the attempts; the states stay here.
 */
import { namesRefusals, type ClientMessage, type Feature, type ServerMessage } from '../common/protocol.js';
import { systemClock, type Cancel, type Clock } from '../common/clock.js';
import { Chat } from './chat.js';
import type { LoginKind } from './chat-view.js';
import type { ClientConfig } from './config.js';
import { connect as realConnect, type Endpoint, type Link } from './connection.js';
import { Failover, type Phase, type Reply } from './failover.js';
import { Formatter, localTime, type DisplayLine } from './format.js';
import { HeartbeatSender } from './heartbeat.js';
import { Credentials } from './login.js';
import { Pacemaker } from './pacemaker.js';
import type { Identity } from './secure/identity.js';
import type { KnownKeys } from './secure/known-keys.js';
import { SecureChats } from './secure/secure-chats.js';
import { ServerRing, type Server } from './servers.js';
import type { ChatHandlers, Ui } from './ui.js';

export type State = 'connecting' | 'logging-in' | 'ready' | Phase | 'logging-out' | 'done';

/** What encrypted private chats need: the identity key and the keys pinned so far (main.ts opens them). */
export interface SecureSetup {
  identity: Identity;
  known: KnownKeys;
}

export interface SessionDeps {
  clock?: Clock;
  random?: () => number;
  connect?: (ep: Endpoint) => Promise<Link>;
  heartbeat?: HeartbeatSender;
  /** Without it, this client cannot encrypt: it says so at login, and peers see its chats as unencrypted. */
  secure?: SecureSetup;
}

/** Seconds to keep trying to reconnect when the server did not say (older servers). */
const DEFAULT_TIMEOUT = 20;
/** How long to wait for the goodbye after LOGOUT before leaving anyway. */
const BYE_WAIT_MS = 3000;
/**
 * How long a login or resume may wait for its answer. The server gives a login this long before
 * it hangs up, so a server that has not answered by then never will.
 */
export const REPLY_WAIT_MS = 30_000;

type LoginOk = ServerMessage<'login_ok'>;

export class ChatSession {
  state: State = 'connecting';
  private link: Link | null = null;
  /** Resolves the pending login/resume request with its reply (null: no reply will come). */
  private waiter: ((r: Reply) => void) | null = null;
  /** The last login_ok. Set before the chat starts: everything after the login reads it. */
  private me!: LoginOk;
  /** The login that worked, sent again when the server has forgotten the session. */
  private credentials!: ClientMessage<'login'>;
  /** The name the user gave at the last login attempt (a guest may get another). */
  private asked: string | undefined;
  /** The username and password while logging in: from the command line, or typed. */
  private readonly answers: Credentials;
  /** What arrives and what is typed, once logged in. */
  private readonly chat: Chat;
  /** Why the current connection closed, once it has (connection.ts words it for the user). */
  private closedWhy = '';
  /** The last login or resume got no answer in time (REPLY_WAIT_MS). */
  private unanswered = false;
  /** False while the screen cannot keep up: the socket is paused until the output drains. */
  private reading = true;
  /** The input ended while /history typed still waited to be asked for: log out once it has been. */
  private logoutWhenAsked = false;
  private timers: Cancel[] = [];
  private readonly fmt: Formatter;
  /** Encrypted private sessions (none without an identity). */
  private readonly secure: SecureChats | null;
  private readonly clock: Clock;
  private readonly heartbeat: Pacemaker;
  private readonly connectFn: (ep: Endpoint) => Promise<Link>;
  /** The servers to use, and which of them is in use. */
  private readonly ring: ServerRing;
  /** Reaching a server, and getting the session back after a loss. */
  private readonly failover: Failover;
  /** The server of the last login (to say so when a reconnect lands on another). */
  private loggedInTo: Server | null = null;
  private resolveExit!: (code: number) => void;
  private readonly exited = new Promise<number>((r) => (this.resolveExit = r));

  constructor(
    private readonly config: ClientConfig,
    private readonly ui: Ui,
    deps: SessionDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.fmt = new Formatter(localTime, () => this.clock.now());
    this.heartbeat = new Pacemaker(deps.heartbeat ?? new HeartbeatSender(this.clock), this.fmt, config);
    this.connectFn = deps.connect ?? realConnect;
    this.ring = new ServerRing(config.servers);
    this.answers = new Credentials(config, ui, {
      clock: this.clock,
      complain: (text) => this.show([this.fmt.error(text)]),
      inform: (text) => this.show([this.fmt.info(text)]),
    });
    const me = () => this.me?.user ?? '';
    this.secure = deps.secure ? new SecureChats(deps.secure.identity, deps.secure.known, this.fmt, me, () => namesRefusals(this.link?.hello ?? null)) : null;
    this.chat = new Chat({
      clock: this.clock,
      fmt: this.fmt,
      ui,
      downloads: config.downloads,
      secure: this.secure,
      show: (lines) => this.show(lines),
      send: (m) => this.state === 'ready' && this.link?.send(m) === true,
      sendAnyway: (m) => void this.link?.send(m),
      notSent: () => (this.state === 'logging-out' ? 'logging out' : 'not connected'),
      hello: () => this.link?.hello ?? null,
      me,
      logout: () => this.logout(),
      viewed: () => {
        if (this.logoutWhenAsked && !this.chat.view.historyWaiting) this.logout();
      },
    });
    this.failover = new Failover({
      clock: this.clock,
      random: deps.random ?? Math.random,
      ring: this.ring,
      fmt: this.fmt,
      show: (lines) => this.show(lines),
      status: (text) => ui.status(text),
      connect: (server) => this.connectFn(this.endpoint(server)),
      phase: () => (this.state === 'reconnecting' || this.state === 'resuming' ? this.state : null),
      disconnect: () => {
        this.state = 'reconnecting';
        this.link?.destroy();
        this.link = null;
      },
      resume: (link) => this.resume(link),
      logInAgain: () => this.logInAgain(),
      noReply: () => (this.unanswered ? 'no answer' : this.closedWhy),
      finish: (code) => this.finish(code),
    });
  }

  /** What the client can do besides chat, said at login: a peer without it is refused it, never given less. */
  private get features(): Feature[] {
    return this.secure ? ['e2e', 'files', 'receipts'] : ['files', 'receipts'];
  }

  /**
   * Connects, logs in, chats until the end; resolves with the exit code. A failure to reach the
   * server at all rejects with a ConnectError (main.ts prints its one line).
   */
  async run(): Promise<number> {
    this.attach(await this.failover.reach());
    // A goodbye during login (another client resumed the name) ends the session without a reply.
    const ok = await Promise.race([this.logIn(), this.exited.then(() => false)]);
    if (!ok) {
      this.finish(1);
      return this.exited;
    }
    this.ui.startChat(this.handlers());
    return this.exited;
  }

  private handlers(): ChatHandlers {
    return {
      line: (text) => this.chat.typed(text),
      end: () => this.endOfInput(),
      // Ctrl-C logs out like `quit`; a second one while waiting for the goodbye just leaves.
      interrupt: () => (this.state === 'logging-out' ? this.finish(0) : this.logout()),
      clear: () => this.chat.clear(),
      complete: (text, cursor) => {
        const done = this.chat.view.complete(text, cursor);
        if (done) this.show(done.lines);
        return done;
      },
    };
  }

  // ---- logging in ----------------------------------------------------------------------------

  /** Asks for what is missing and logs in; false when the client should exit 1. */
  private async logIn(): Promise<boolean> {
    for (;;) {
      const login = await this.answers.login();
      if ('fail' in login) return this.fail(login.fail);
      // The server drops connections that take too long to log in: a slow typist gets a new one.
      if (!this.link?.open) this.attach(await this.failover.reach());
      this.state = 'logging-in';
      this.asked = login.user;
      const withFeatures = { ...login, features: this.features };
      const reply = await this.request(withFeatures, 'login');
      if (reply?.type === 'login_ok') {
        this.credentials = withFeatures;
        return true;
      }
      if (!reply && this.unanswered) return this.fail(`the server did not answer the login within ${REPLY_WAIT_MS / 1000} s`);
      if (!reply) return this.fail(`the connection closed during login (${this.closedWhy})`);
      this.show(this.fmt.message(reply));
      this.state = 'connecting';
      if (!this.answers.refused(reply)) return false;
    }
  }

  private fail(why: string): boolean {
    this.show([this.fmt.error(why)]);
    return false;
  }

  /**
   * Sends a login or resume and waits for its reply, at most REPLY_WAIT_MS (then the connection
   * is dropped and the reply is null). On login_ok the session switches to `ready` synchronously,
   * before the next frame of the same packet is read, so the backlog a resumed session brings is
   * shown rather than skipped.
   */
  private request(m: ClientMessage, how: LoginKind): Promise<Reply> {
    return new Promise((resolve) => {
      const silence = this.clock.after(REPLY_WAIT_MS, () => {
        if (this.waiter !== settle) return;
        const link = this.link;
        this.link = null; // so that its close is not taken for the server's
        link?.destroy();
        this.unanswered = true;
        settle(null);
      });
      const settle = (r: Reply) => {
        silence();
        this.waiter = null;
        if (r?.type === 'login_ok') this.loggedIn(r, how);
        resolve(r);
      };
      this.waiter = settle;
      this.unanswered = false;
      if (!this.link?.send(m)) settle(null);
    });
  }

  private loggedIn(m: LoginOk, how: LoginKind): void {
    this.cancelTimers();
    this.failover.stop();
    this.state = 'ready';
    this.me = m;
    const server = this.ring.current;
    const moved = this.loggedInTo !== null && this.loggedInTo !== server;
    this.loggedInTo = server;
    // (this.link is the connection the login_ok came on; a socket that lost its address too soon
    // leaves only the name.)
    const paced = this.heartbeat.start(m, this.link?.remoteAddress || this.ring.current.host);
    const lines = this.chat.view.loggedIn(m, how, this.asked);
    if (moved) lines.push(this.fmt.info(`Now connected to ${this.ring.label()}.`));
    const secured = this.secure?.loggedIn(m, how, server);
    this.ui.setPrompt(this.chat.view.promptParts);
    this.show([...lines, ...paced, ...(secured?.lines ?? [])]);
    for (const msg of secured?.send ?? []) this.link?.send(msg);
    // Away in the session that was lost: away again in this one (the server says so in a line).
    const away = this.chat.view.awayAgain(how);
    if (away && this.link?.send(away)) this.chat.view.sent(away);
  }

  // ---- the connection --------------------------------------------------------------------------

  private endpoint(server: Server): Endpoint {
    const { tls, ca } = this.config;
    return { host: server.host, port: server.port, tls, ...(ca ? { ca } : {}) };
  }

  private attach(link: Link): void {
    this.link = link;
    if (link.hello?.maxBody !== undefined) this.chat.view.maxBody = link.hello.maxBody;
    if (!this.reading) link.pause();
    link.listen({ message: (m) => this.received(link, m), close: (why) => this.closed(link, why) });
  }

  private received(link: Link, m: ServerMessage): void {
    if (link !== this.link) return;
    if (this.waiter && (m.type === 'login_ok' || m.type === 'error')) return this.waiter(m);
    if (m.type === 'bye') return this.bye(m);
    if (this.state !== 'ready' && this.state !== 'logging-out') return;
    this.chat.received(m);
  }

  private bye(m: ServerMessage<'bye'>): void {
    this.show(this.fmt.message(m));
    if (this.state === 'logging-out') return this.finish(0);
    // A restart: the close that follows starts the reconnect, and we log in again afterwards.
    if (m.reason === 'shutdown') return;
    // Marked offline for a silence that was ours (Ctrl-Z, a computer asleep), not UDP's: the
    // close that follows starts the reconnect too, which logs in again. (Only once logged in: a
    // goodbye during the first login comes before any login_ok, so before any timeout is known.)
    if (m.reason === 'offline' && this.state === 'ready' && this.heartbeat.stalled(((this.me.timeout ?? DEFAULT_TIMEOUT) * 1000) / 2)) {
      this.show([this.fmt.info('This client was not running for a while (stopped, or the computer asleep), so its heartbeats stopped: logging in again…')]);
      return;
    }
    // Resumed from another connection, or marked offline with heartbeats going out (UDP blocked
    // on the way): coming back would fight over the session, or be marked offline again.
    this.finish(1);
  }

  private closed(link: Link, why: string): void {
    if (link !== this.link) return;
    this.closedWhy = why;
    if (this.waiter) return this.waiter(null);
    if (this.state === 'ready') return this.lost(why);
    if (this.state === 'logging-out') return this.finish(0);
  }

  // ---- reconnecting (failover.ts makes the attempts) -----------------------------------------

  private lost(why: string): void {
    this.chat.view.lost();
    // The input has ended: nobody is left to reconnect for.
    if (this.logoutWhenAsked) return this.logout();
    this.show([this.fmt.info(`Connection lost (${why}), reconnecting…`), ...this.chat.files.lost()]);
    this.failover.lost(this.me.timeout ?? DEFAULT_TIMEOUT);
  }

  /** Takes the session back on a new connection, without a password. */
  private resume(link: Link): Promise<Reply> {
    this.attach(link);
    this.state = 'resuming';
    const { session = '', token = '' } = this.me;
    return this.request({ type: 'resume', session, token }, 'resume');
  }

  /** The server no longer knows our session: log in again with the password we know. */
  private logInAgain(): Promise<Reply> {
    // The server forgot the session (it restarted): the lines after the last one seen come back.
    const since = this.chat.view.lastId;
    return this.request(since === undefined ? this.credentials : { ...this.credentials, since }, 'relogin');
  }

  // ---- the end of input, logging out (chat.ts takes the lines typed) ------------------------

  /**
   * The input ended (a pipe ran dry, Ctrl-D): log out, once every /history typed has been asked
   * for (each waits for the page before it; the server answers them before the goodbye).
   */
  private endOfInput(): void {
    if (this.state === 'ready' && this.chat.view.historyWaiting) {
      this.logoutWhenAsked = true;
      // A server that never answers a page must not keep the client: leave after a while anyway.
      this.timers.push(this.clock.after(REPLY_WAIT_MS, () => this.logout()));
      return;
    }
    this.logout();
  }

  /** LOGOUT, exit, quit, end of input, Ctrl-C: say goodbye and wait for the server's. */
  private logout(): void {
    if (this.state === 'logging-out' || this.state === 'done') return;
    this.heartbeat.stop();
    if (this.state === 'ready' && this.link?.send({ type: 'logout' })) {
      this.state = 'logging-out';
      this.timers.push(this.clock.after(BYE_WAIT_MS, () => this.finish(0)));
      return;
    }
    const s = this.me.timeout ?? DEFAULT_TIMEOUT;
    this.show([this.fmt.info(`Leaving while not connected; others will see you offline within ${s} s.`)]);
    this.finish(0);
  }

  // ---- the end -------------------------------------------------------------------------------

  /**
   * Shows lines; when the screen falls behind (stdout a pipe nobody reads), stops reading from
   * the server until it catches up. The server then holds what we do not read, and drops us past
   * its limit for slow readers, rather than this process holding it all.
   */
  private show(lines: readonly DisplayLine[]): void {
    if (lines.length === 0 || this.ui.show(lines) || !this.reading) return;
    this.reading = false;
    this.link?.pause();
    this.ui.whenDrained(() => {
      this.reading = true;
      this.link?.resume();
    });
  }

  private cancelTimers(): void {
    for (const cancel of this.timers.splice(0)) cancel();
  }

  /** Stops everything and settles the exit code. Safe to call twice; the first code wins. */
  private finish(code: number): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.failover.stop();
    this.cancelTimers();
    this.heartbeat.stop();
    this.waiter = null;
    this.link?.destroy();
    this.resolveExit(code);
  }
}
