/**
 * The client's life with the server, as a state machine:
 *
 *   connecting ─► logging-in ─► ready ─► logging-out ─► done (exit 0)
 *                     ▲           │  ▲
 *                     │      lost │  │ resumed / logged in again
 *                     │           ▼  │
 *                     │      reconnecting ⇄ resuming ──► done (exit 1: gave up, session gone)
 *                     └─ wrong password: ask again
 *
 * While the TCP connection is down the heartbeats go on, so the server keeps the session for us
 * and `resume` takes it back without a password. If the server has forgotten the session (it
 * restarted, or we were silent too long) we log in again with the password we know.
 *
 * Given the servers of a cluster, each failed attempt goes on with the next server in turn (see
 * servers.ts), and the status row says which one is being tried: any server of the cluster can
 * resume the session, or log us in again.
 */
import { hostPort } from '../common/address.js';
import { DEFAULT_MAX_BODY } from '../common/codec.js';
import type { ClientMessage, Feature, ServerMessage } from '../common/protocol.js';
import { backoffDelay } from './backoff.js';
import { systemClock, type Cancel, type Clock } from '../common/clock.js';
import { ChatView, type LoginKind } from './chat-view.js';
import type { ClientConfig } from './config.js';
import { ConnectError, connect as realConnect, type Endpoint, type Link } from './connection.js';
import { Formatter, localTime, safeLine, type DisplayLine } from './format.js';
import { HeartbeatSender, heartbeatPace } from './heartbeat.js';
import { Credentials } from './login.js';
import { FileTransfers } from './files/transfers.js';
import type { Identity } from './secure/identity.js';
import type { KnownKeys } from './secure/known-keys.js';
import { SecureChats } from './secure/secure-chats.js';
import { ServerRing, type Server } from './servers.js';
import type { ChatHandlers, Ui } from './ui.js';

export type State = 'connecting' | 'logging-in' | 'ready' | 'reconnecting' | 'resuming' | 'logging-out' | 'done';

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

type Reply = ServerMessage<'login_ok'> | ServerMessage<'error'> | null;
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
  /** What is shown and what typed lines mean, once logged in. */
  private readonly view: ChatView;
  /** Why the current connection closed, once it has (connection.ts words it for the user). */
  private closedWhy = '';
  /** The last login or resume got no answer in time (REPLY_WAIT_MS). */
  private unanswered = false;
  /** False while the screen cannot keep up: the socket is paused until the output drains. */
  private reading = true;
  /** The input ended while /history typed still waited to be asked for: log out once it has been. */
  private logoutWhenAsked = false;
  private attempt = 0;
  /** The heartbeat interval the user was last told a server needed instead of theirs (seconds). */
  private paceSaid: number | null = null;
  private timers: Cancel[] = [];
  private readonly fmt: Formatter;
  /** Encrypted private sessions (none without an identity). */
  private readonly secure: SecureChats | null;
  /** File transfers with consent. */
  private readonly files: FileTransfers;
  private readonly clock: Clock;
  private readonly heartbeat: HeartbeatSender;
  private readonly connectFn: (ep: Endpoint) => Promise<Link>;
  /** The servers to use, and which of them is in use. */
  private readonly ring: ServerRing;
  /** The server of the last login (to say so when a reconnect lands on another). */
  private loggedInTo: Server | null = null;
  private resolveExit!: (code: number) => void;
  private readonly exited = new Promise<number>((r) => (this.resolveExit = r));

  constructor(
    private readonly config: ClientConfig,
    private readonly ui: Ui,
    private readonly deps: SessionDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.fmt = new Formatter(localTime, () => this.clock.now());
    this.heartbeat = deps.heartbeat ?? new HeartbeatSender(this.clock);
    this.connectFn = deps.connect ?? realConnect;
    this.ring = new ServerRing(config.servers);
    this.answers = new Credentials(config, ui, (text) => this.show([this.fmt.error(text)]));
    this.view = new ChatView(this.fmt);
    const me = () => this.me?.user ?? '';
    this.secure = deps.secure ? new SecureChats(deps.secure.identity, deps.secure.known, this.fmt, me) : null;
    this.files = new FileTransfers({
      clock: this.clock,
      send: (m) => this.state === 'ready' && this.link?.send(m) === true,
      fmt: this.fmt,
      show: (lines) => this.show(lines),
      progress: ui.progress,
      downloads: config.downloads,
      limits: () => this.fileLimits(),
      channelWith: (name) => this.secure?.channelWith(name) ?? null,
      me,
    });
    this.view.privacy = () => this.secure?.label() ?? null;
    this.view.offers = () => this.files.pending();
  }

  /** What the client can do besides chat, said at login: a peer without it is refused it, never given less. */
  private get features(): Feature[] {
    return this.secure ? ['e2e', 'files'] : ['files'];
  }

  /** The server's file limits (its hello), or null when it relays no files. */
  private fileLimits(): { maxBody: number; maxFile: number; window: number; rate: number } | null {
    const h = this.link?.hello;
    if (!h || h.maxFile === undefined || h.fileWindow === undefined || h.fileRate === undefined) return null;
    return { maxBody: h.maxBody ?? DEFAULT_MAX_BODY, maxFile: h.maxFile, window: h.fileWindow, rate: h.fileRate };
  }

  /**
   * Connects, logs in, chats until the end; resolves with the exit code. A failure to reach the
   * server at all rejects with a ConnectError (main.ts prints its one line).
   */
  async run(): Promise<number> {
    this.attach(await this.reach());
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
      line: (text) => this.typed(text),
      end: () => this.endOfInput(),
      // Ctrl-C logs out like `quit`; a second one while waiting for the goodbye just leaves.
      interrupt: () => (this.state === 'logging-out' ? this.finish(0) : this.logout()),
      complete: (text, cursor) => {
        const done = this.view.complete(text, cursor);
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
      if (!this.link?.open) this.attach(await this.reach());
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
    this.state = 'ready';
    this.me = m;
    const server = this.ring.current;
    const moved = this.loggedInTo !== null && this.loggedInTo !== server;
    this.loggedInTo = server;
    this.status(null);
    const paced = this.startHeartbeat(m);
    const lines = this.view.loggedIn(m, how, this.asked);
    if (moved) lines.push(this.fmt.info(`Now connected to ${this.ring.label()}.`));
    // Keys are pinned per network (one id for all servers of a cluster), or per server without one.
    this.deps.secure?.known.at(`${server.host}:${server.port}`, m.network);
    const secured = this.secure?.loggedIn(m, how);
    this.ui.setPrompt(this.view.prompt);
    this.show([...lines, ...paced, ...(secured?.lines ?? [])]);
    for (const msg of secured?.send ?? []) this.link?.send(msg);
  }

  /**
   * Heartbeats go to the address this login's connection reached, not to the host name: the name
   * is resolved once, by the connection, and UDP goes to the same server (and address family).
   * They go often enough for this server's timeout, whatever --heartbeat-interval says: an
   * interval that would have the user marked offline is no choice anyone makes knowingly. The
   * line that says so, once per pace.
   */
  private startHeartbeat(m: LoginOk): DisplayLine[] {
    const port = this.config.udpPort ?? m.udpPort;
    if (port === undefined || m.session === undefined || m.secret === undefined) return [];
    // (this.link is the connection the login_ok came on; a socket that lost its address too soon
    // leaves only the name.)
    const host = this.link?.remoteAddress || this.ring.current.host;
    const asked = this.config.heartbeatInterval;
    const pace = heartbeatPace(asked, m.timeout);
    this.heartbeat.start({ host, port, session: m.session, secret: Buffer.from(m.secret, 'base64') }, pace.seconds * 1000);
    if (!pace.tooSlow || this.paceSaid === pace.seconds) return [];
    this.paceSaid = pace.seconds;
    const s = (n: number) => String(Number(n.toFixed(2)));
    return [this.fmt.info(`Heartbeats every ${s(asked)} s (--heartbeat-interval) are too far apart for this server, which marks you offline after ${m.timeout} s without one: beating every ${s(pace.seconds)} s instead.`)];
  }

  // ---- the connection --------------------------------------------------------------------------

  private endpoint(server: Server): Endpoint {
    const { tls, ca } = this.config;
    return { host: server.host, port: server.port, tls, ...(ca ? { ca } : {}) };
  }

  /**
   * A connection to the first server that takes one, from the one in use on, each tried once (at
   * start, and for a login typed slowly). Rejects with a ConnectError: the one server's reason,
   * or every server's in one line.
   */
  private async reach(): Promise<Link> {
    const why: string[] = [];
    for (let tried = 0; ; ) {
      try {
        return await this.connectFn(this.endpoint(this.ring.current));
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        why.push(e.message);
        if (++tried === this.ring.servers.length) throw new ConnectError(why.join('; '));
        this.ring.next();
      }
    }
  }

  /** The status row, while reconnecting among several servers (one server: the lines say it all, as they always did). */
  private status(text: string | null): void {
    if (this.ring.several) this.ui.status(text);
  }

  private attach(link: Link): void {
    this.link = link;
    if (link.hello?.maxBody !== undefined) this.view.maxBody = link.hello.maxBody;
    if (!this.reading) link.pause();
    link.listen({ message: (m) => this.received(link, m), close: (why) => this.closed(link, why) });
  }

  private received(link: Link, m: ServerMessage): void {
    if (link !== this.link) return;
    if (this.waiter && (m.type === 'login_ok' || m.type === 'error')) return this.waiter(m);
    if (m.type === 'bye') return this.bye(m);
    if (this.state !== 'ready' && this.state !== 'logging-out') return;
    const fileLines = this.files.received(m);
    if (fileLines !== null) {
      this.show(fileLines);
      if (m.type === 'transfer' && m.event === 'offer') this.requestArrived();
      return;
    }
    const out = this.secure?.received(m) ?? { lines: [], pass: m };
    if (out.pass) this.toView(out.pass);
    this.show(out.lines);
    for (const more of out.more ?? []) this.toView(more);
    this.afterSecure();
    if (out.pass?.type === 'notice' && out.pass.event === 'pm_invite') this.requestArrived();
  }

  /** One message for the chat view (as the encrypted sessions left it). */
  private toView(m: ServerMessage): void {
    const { lines, bell, prompt, send } = this.view.received(m);
    if (prompt) this.ui.setPrompt(this.view.prompt);
    this.show(lines);
    if (bell) this.ui.bell();
    if (send && this.state === 'ready' && this.link?.send(send)) this.view.sent(send);
    if (this.logoutWhenAsked && !this.view.historyWaiting) this.logout();
  }

  /** Sends what the encrypted sessions need sent (a rekey reply, an EXIT PM), and shows their state in the prompt. */
  private afterSecure(): void {
    for (const msg of this.secure?.outbox.splice(0) ?? []) this.link?.send(msg);
    this.ui.setPrompt(this.view.prompt);
  }

  /** A chat request or a file offer came: if it is not the only one, say how to answer each. */
  private requestArrived(): void {
    const hint = this.view.requestsHint();
    if (hint.length > 0) this.show(hint);
    this.ui.bell();
  }

  private bye(m: ServerMessage<'bye'>): void {
    this.show(this.fmt.message(m));
    if (this.state === 'logging-out') return this.finish(0);
    // A restart: the close that follows starts the reconnect, and we log in again afterwards.
    if (m.reason === 'shutdown') return;
    // Resumed from another connection, or marked offline: coming back would fight over the session.
    this.finish(1);
  }

  private closed(link: Link, why: string): void {
    if (link !== this.link) return;
    this.closedWhy = why;
    if (this.waiter) return this.waiter(null);
    if (this.state === 'ready') return this.lost(why);
    if (this.state === 'logging-out') return this.finish(0);
  }

  // ---- reconnecting --------------------------------------------------------------------------

  private lost(why: string): void {
    this.view.lost();
    // The input has ended: nobody is left to reconnect for.
    if (this.logoutWhenAsked) return this.logout();
    this.show([this.fmt.info(`Connection lost (${why}), reconnecting…`), ...this.files.lost()]);
    const limit = (this.me.timeout ?? DEFAULT_TIMEOUT) * 1000;
    this.timers.push(this.clock.after(limit, () => this.giveUp(limit)));
    this.attempt = 0;
    // The server in use first: most losses are a blip, or a restart it comes back from.
    this.status(`Connection to ${this.ring.label()} lost; trying it again first`);
    this.retryLater();
  }

  /**
   * The next attempt, after the backoff. `failed`: why the last one did not get the session back,
   * so this one goes to the next server (the same one when there is only one).
   */
  private retryLater(failed?: string): void {
    this.state = 'reconnecting';
    this.link?.destroy();
    this.link = null;
    if (failed !== undefined) {
      this.ring.next();
      this.status(`Next: ${this.ring.label()}; ${failed}`);
    }
    this.timers.push(this.clock.after(backoffDelay(this.attempt++, this.deps.random ?? Math.random), () => void this.retry()));
  }

  private async retry(): Promise<void> {
    const server = this.ring.current;
    this.status(`Reconnecting to ${this.ring.label()}…`);
    let why = '';
    const link = await this.connectFn(this.endpoint(server)).catch((e: Error) => {
      why = e.message;
      return null;
    });
    if (this.state !== 'reconnecting') return link?.destroy();
    if (!link) return this.retryLater(why);
    this.attach(link);
    this.state = 'resuming';
    const { session = '', token = '' } = this.me;
    const reply = await this.request({ type: 'resume', session, token }, 'resume');
    if (this.state !== 'resuming') return; // resumed (ready), or given up meanwhile
    if (reply?.type === 'error' && reply.code === 'RESUME_FAILED') return this.logInAgain();
    if (reply) this.show(this.fmt.message(reply));
    this.retryLater(this.refused(server, reply));
  }

  /** Why an attempt on `server` did not get the session back, for the status row. */
  private refused(server: Server, reply: Reply): string {
    const why = reply?.type === 'error' ? safeLine(reply.message) : this.unanswered ? 'no answer' : this.closedWhy;
    return `${hostPort(server.host, server.port)}: ${why}`;
  }

  /** The server no longer knows our session: log in again with the password we know. */
  private async logInAgain(): Promise<void> {
    // The server forgot the session (it restarted): the lines after the last one seen come back.
    const since = this.view.lastId;
    const reply = await this.request(since === undefined ? this.credentials : { ...this.credentials, since }, 'relogin');
    if (this.state !== 'resuming') return;
    if (!reply) return this.retryLater(this.refused(this.ring.current, reply));
    this.show(this.fmt.message(reply));
    this.finish(1);
  }

  private giveUp(limitMs: number): void {
    if (this.state !== 'reconnecting' && this.state !== 'resuming') return;
    this.show([this.fmt.error(`could not reconnect within ${limitMs / 1000} s; giving up`)]);
    this.finish(1);
  }

  // ---- what the user types -------------------------------------------------------------------

  private typed(line: string): void {
    const t = this.view.typed(line);
    switch (t.kind) {
      case 'none':
        return;
      case 'show':
        return this.show(t.lines);
      case 'clear':
        return this.ui.clear();
      case 'logout':
        return this.logout();
      case 'send': {
        const out = this.secure ? this.secure.outgoing(t.message, this.view.maxBody) : { send: t.message };
        this.afterSecure();
        if ('lines' in out) return this.show(out.lines);
        if (this.state === 'ready' && this.link?.send(out.send)) return this.view.sent(t.message);
        return this.show([this.fmt.notDelivered(line, this.state === 'logging-out' ? 'logging out' : 'not connected')]);
      }
      case 'file-answer':
        return this.show(this.files.answer(t.offer, t.accept));
      case 'send-file':
        return this.show(this.files.offer(t.to, t.path));
      case 'cancel':
        return this.show(this.files.cancel(t.which));
      case 'verify':
        this.show(this.secure?.verify(t.confirm) ?? [this.fmt.error('this client has no identity key: no encrypted chats')]);
        return this.afterSecure();
      case 'trust': {
        const r = this.secure?.trust(t.name) ?? { lines: [this.fmt.error('this client has no identity key: no encrypted chats')], more: [] };
        this.show(r.lines);
        for (const more of r.more) this.toView(more);
        return this.afterSecure();
      }
    }
  }

  /**
   * The input ended (a pipe ran dry, Ctrl-D): log out, once every /history typed has been asked
   * for (each waits for the page before it; the server answers them before the goodbye).
   */
  private endOfInput(): void {
    if (this.state === 'ready' && this.view.historyWaiting) {
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
    this.status(null);
    this.cancelTimers();
    this.heartbeat.stop();
    this.waiter = null;
    this.link?.destroy();
    this.resolveExit(code);
  }
}
