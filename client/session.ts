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
 */
import type { ClientMessage, ServerMessage } from '../common/protocol.js';
import { backoffDelay } from './backoff.js';
import { systemClock, type Cancel, type Clock } from '../common/clock.js';
import { nameProblem } from '../common/names.js';
import type { ClientConfig } from './config.js';
import { connect as realConnect, type Endpoint, type Link } from './connection.js';
import { Formatter, localTime, safeLine, type DisplayLine } from './format.js';
import { HeartbeatSender } from './heartbeat.js';
import { helpLines, parseInput } from './input.js';

export type State = 'connecting' | 'logging-in' | 'ready' | 'reconnecting' | 'resuming' | 'logging-out' | 'done';

/** What the session needs from the screen and keyboard (terminal.ts; a fake in tests). */
export interface Ui {
  /** Asks one question; null when the input has ended. `hidden`: do not echo (passwords). */
  ask(question: string, hidden: boolean): Promise<string | null>;
  show(lines: readonly DisplayLine[]): void;
  setPrompt(prompt: string): void;
  /** From now on, typed lines go to `line`; the end of input to `end`; Ctrl-C to `interrupt`. */
  startChat(handlers: { line(text: string): void; end(): void; interrupt(): void }): void;
}

export interface SessionDeps {
  clock?: Clock;
  random?: () => number;
  connect?: (ep: Endpoint) => Promise<Link>;
  heartbeat?: HeartbeatSender;
}

/**
 * Why the server would refuse `user` as a username, or null: the server's name rule, except that
 * an empty name with an empty password asks for a guest login (the server picks the name).
 * `password` is undefined when it is not known yet.
 */
export function userProblem(user: string, password: string | undefined): string | null {
  if (user === '' && !password) return null;
  return nameProblem(user);
}

/** Seconds to keep trying to reconnect when the server did not say (older servers). */
const DEFAULT_TIMEOUT = 20;
/** How long to wait for the goodbye after LOGOUT before leaving anyway. */
const BYE_WAIT_MS = 3000;

type Reply = ServerMessage<'login_ok'> | ServerMessage<'error'> | null;
type LoginOk = ServerMessage<'login_ok'>;
/** What a login_ok ends: the first login, a login after the server forgot the session, a resume. */
type LoginKind = 'login' | 'relogin' | 'resume';

export class ChatSession {
  state: State = 'connecting';
  private link: Link | null = null;
  /** Resolves the pending login/resume request with its reply (null: the connection closed). */
  private waiter: ((r: Reply) => void) | null = null;
  /** The last login_ok. Set before the chat starts: everything after the login reads it. */
  private me!: LoginOk;
  /** The login that worked, sent again when the server has forgotten the session. */
  private credentials!: ClientMessage<'login'>;
  /** The username and password while logging in: from the command line, or typed. */
  private user: string | undefined;
  private password: string | undefined;
  private partner: string | null = null;
  /** Why the current connection closed, once it has (connection.ts words it for the user). */
  private closedWhy = '';
  private attempt = 0;
  private timers: Cancel[] = [];
  private readonly fmt: Formatter;
  private readonly clock: Clock;
  private readonly heartbeat: HeartbeatSender;
  private readonly connectFn: (ep: Endpoint) => Promise<Link>;
  private readonly endpoint: Endpoint;
  private resolveExit!: (code: number) => void;
  private readonly exited = new Promise<number>((r) => (this.resolveExit = r));

  constructor(
    private readonly config: ClientConfig,
    private readonly ui: Ui,
    private readonly deps: SessionDeps = {},
  ) {
    this.clock = deps.clock ?? systemClock;
    this.fmt = new Formatter(localTime, () => this.clock.now());
    this.heartbeat = deps.heartbeat ?? new HeartbeatSender(this.clock, config.heartbeatInterval * 1000);
    this.connectFn = deps.connect ?? realConnect;
    this.endpoint = { host: config.host, port: config.port, tls: config.tls, ...(config.ca ? { ca: config.ca } : {}) };
    this.user = config.user;
    this.password = config.password;
  }

  /**
   * Connects, logs in, chats until the end; resolves with the exit code. A failure to reach the
   * server at all rejects with a ConnectError (main.ts prints its one line).
   */
  async run(): Promise<number> {
    this.attach(await this.connectFn(this.endpoint));
    // A goodbye during login (another client resumed the name) ends the session without a reply.
    const ok = await Promise.race([this.logIn(), this.exited.then(() => false)]);
    if (!ok) {
      this.finish(1);
      return this.exited;
    }
    this.ui.startChat({
      line: (text) => this.typed(text),
      end: () => this.logout(),
      // Ctrl-C logs out like `quit`; a second one while waiting for the goodbye just leaves.
      interrupt: () => (this.state === 'logging-out' ? this.finish(0) : this.logout()),
    });
    return this.exited;
  }

  // ---- logging in ----------------------------------------------------------------------------

  /** Asks for what is missing and logs in; false when the client should exit 1. */
  private async logIn(): Promise<boolean> {
    for (;;) {
      while (this.user === undefined) {
        const typed = await this.ui.ask('Username:', false);
        if (typed === null) return this.fail('input ended before login');
        // Checked here, before the password is asked for: a name the server refuses is asked again.
        const problem = userProblem(typed, this.password);
        if (problem) this.show([this.fmt.error(`invalid username: ${problem}`)]);
        else this.user = typed;
      }
      this.password ??= (await this.ui.ask('Password:', true)) ?? undefined;
      if (this.password === undefined) return this.fail('input ended before login');
      // The server drops connections that take too long to log in: a slow typist gets a new one.
      if (!this.link?.open) this.attach(await this.connectFn(this.endpoint));
      this.state = 'logging-in';
      const login: ClientMessage<'login'> = { type: 'login', user: this.user, password: this.password };
      const reply = await this.request(login, 'login');
      if (reply?.type === 'login_ok') {
        this.credentials = login;
        return true;
      }
      if (!reply) return this.fail(`the connection closed during login (${this.closedWhy})`);
      if (!this.loginRefused(reply)) return false;
    }
  }

  /** Shows why a login was refused and forgets what must be asked again; false to give up. */
  private loginRefused(e: ServerMessage<'error'>): boolean {
    this.show(this.fmt.message(e));
    this.state = 'connecting';
    const typedPassword = this.password !== this.config.password;
    if (e.code === 'BAD_PASSWORD') {
      // A password from the command line or CHAT_PASSWORD would only be wrong again.
      if (!typedPassword) return false;
      this.password = undefined;
      return true;
    }
    // Bad name, already logged in, password rule...: start again from the name, unless nothing
    // was typed (fully scripted), where asking would read chat lines as credentials.
    if (!typedPassword && this.user === this.config.user) return false;
    this.user = undefined;
    if (typedPassword) this.password = undefined;
    return true;
  }

  private fail(why: string): boolean {
    this.show([this.fmt.error(why)]);
    return false;
  }

  /**
   * Sends a login or resume and waits for its reply. On login_ok the session switches to `ready`
   * synchronously, before the next frame of the same packet is read, so the backlog a resumed
   * session brings is shown rather than skipped.
   */
  private request(m: ClientMessage, how: LoginKind): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiter = (r) => {
        this.waiter = null;
        if (r?.type === 'login_ok') this.loggedIn(r, how);
        resolve(r);
      };
      if (!this.link?.send(m)) this.waiter(null);
    });
  }

  private loggedIn(m: LoginOk, how: LoginKind): void {
    this.cancelTimers();
    this.state = 'ready';
    this.me = m;
    this.partner = m.partner ?? null;
    this.startHeartbeat(m);
    this.updatePrompt();
    const f = this.fmt;
    const lines: DisplayLine[] = [];
    if (how === 'login') {
      lines.push(f.info(`Login success!${m.created ? ` (new account ${safeLine(m.user)} created)` : ''}`));
      lines.push(f.info('Type /help for the list of commands.'));
    } else if (how === 'relogin') {
      lines.push(f.info(`Reconnected: the previous session was gone, so you are logged in again as ${safeLine(m.user)}.`));
    } else {
      lines.push(f.info('Reconnected'));
    }
    if (how !== 'resume') lines.push(f.online(m.online, m.count));
    if (this.partner) lines.push(f.info(`You are in a private chat with ${safeLine(this.partner)}; type EXIT PM to leave.`));
    this.show(lines);
  }

  /**
   * Heartbeats go to the address this login's connection reached, not to the host name: the name
   * is resolved once, by the connection, and UDP goes to the same server (and address family).
   */
  private startHeartbeat(m: LoginOk): void {
    const port = this.config.udpPort ?? m.udpPort;
    if (port === undefined || m.session === undefined || m.secret === undefined) return;
    // (this.link is the connection the login_ok came on; a socket that lost its address too soon
    // leaves only the name.)
    const host = this.link?.remoteAddress || this.config.host;
    this.heartbeat.start({ host, port, session: m.session, secret: Buffer.from(m.secret, 'base64') });
  }

  // ---- the connection --------------------------------------------------------------------------

  private attach(link: Link): void {
    this.link = link;
    link.listen({ message: (m) => this.received(link, m), close: (why) => this.closed(link, why) });
  }

  private received(link: Link, m: ServerMessage): void {
    if (link !== this.link) return;
    if (this.waiter && (m.type === 'login_ok' || m.type === 'error')) return this.waiter(m);
    if (m.type === 'bye') return this.bye(m);
    if (this.state !== 'ready' && this.state !== 'logging-out') return;
    if (m.type === 'notice') this.track(m);
    this.show(this.fmt.message(m));
  }

  /** Follows private sessions, so the prompt says where plain lines go. */
  private track(m: ServerMessage<'notice'>): void {
    if (m.event === 'pm_started' && m.user) this.partner = m.user;
    else if (m.event === 'pm_ended') this.partner = null;
    else return;
    this.updatePrompt();
  }

  private updatePrompt(): void {
    const name = safeLine(this.me.user);
    this.ui.setPrompt(this.partner ? `${name} (private: ${safeLine(this.partner)})> ` : `${name}> `);
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
    this.show([this.fmt.info(`Connection lost (${why}), reconnecting…`)]);
    const limit = (this.me.timeout ?? DEFAULT_TIMEOUT) * 1000;
    this.timers.push(this.clock.after(limit, () => this.giveUp(limit)));
    this.attempt = 0;
    this.retryLater();
  }

  private retryLater(): void {
    this.state = 'reconnecting';
    this.link?.destroy();
    this.link = null;
    this.timers.push(this.clock.after(backoffDelay(this.attempt++, this.deps.random ?? Math.random), () => void this.retry()));
  }

  private async retry(): Promise<void> {
    const link = await this.connectFn(this.endpoint).catch(() => null);
    if (this.state !== 'reconnecting') return link?.destroy();
    if (!link) return this.retryLater();
    this.attach(link);
    this.state = 'resuming';
    const { session = '', token = '' } = this.me;
    const reply = await this.request({ type: 'resume', session, token }, 'resume');
    if (this.state !== 'resuming') return; // resumed (ready), or given up meanwhile
    if (reply?.type === 'error' && reply.code === 'RESUME_FAILED') return this.logInAgain();
    if (reply) this.show(this.fmt.message(reply));
    this.retryLater();
  }

  /** The server no longer knows our session: log in again with the password we know. */
  private async logInAgain(): Promise<void> {
    const reply = await this.request(this.credentials, 'relogin');
    if (this.state !== 'resuming') return;
    if (!reply) return this.retryLater();
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
    const action = parseInput(line);
    switch (action.kind) {
      case 'none':
        return;
      case 'help':
        return this.show(this.fmt.infoBlock(helpLines()));
      case 'problem':
        return this.show([this.fmt.error(action.text, true)]);
      case 'logout':
        return this.logout();
      case 'send':
        if (this.state === 'ready' && this.link?.send(action.message)) return;
        return this.show([this.fmt.notDelivered(line, this.state === 'logging-out' ? 'logging out' : 'not connected')]);
    }
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

  private show(lines: readonly DisplayLine[]): void {
    if (lines.length > 0) this.ui.show(lines);
  }

  private cancelTimers(): void {
    for (const cancel of this.timers.splice(0)) cancel();
  }

  /** Stops everything and settles the exit code. Safe to call twice; the first code wins. */
  private finish(code: number): void {
    if (this.state === 'done') return;
    this.state = 'done';
    this.cancelTimers();
    this.heartbeat.stop();
    this.waiter = null;
    this.link?.destroy();
    this.resolveExit(code);
  }
}
