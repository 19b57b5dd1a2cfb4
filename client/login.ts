/**
 * The login dialogue: which of the username and password to ask for, and after a refusal, which
 * to ask for again. The session sends the login; this holds the answers.
 *
 * A refusal says which answer was wrong. A wrong password, or one the server's rule refuses, asks
 * for the password again, keeping the name. So does a refused guest login (an empty password on a
 * server without guests, or under the name of an account): the name stands, the server wants a
 * password for it. A refusal that blames neither answer (too many failed logins or new accounts,
 * a busy server) keeps the name too: the password is asked again once the wait the server names
 * is over, counted down on the status row, for the password may have been what failed before.
 * Only a refused name (taken, online already) starts again from the name, and says so, since the
 * question before was the password's. Nothing is asked again that did not come from the keyboard:
 * a name or password from the command line would only be refused again, and a script's input
 * would be read as answers; the client gives up instead, with the server's reason.
 */
import type { Clock } from '../common/clock.js';
import type { ErrorCode } from '../common/errors.js';
import { nameProblem } from '../common/names.js';
import type { ClientMessage, ServerMessage } from '../common/protocol.js';
import type { ClientConfig } from './config.js';
import { safeLine } from './format.js';
import type { Ui } from './ui.js';

/**
 * Why the server would refuse `user` as a username, or null: the server's name rule, except that
 * an empty name with an empty password asks for a guest login (the server picks the name).
 * `password` is undefined when it is not known yet.
 */
export function userProblem(user: string, password: string | undefined): string | null {
  if (user === '' && !password) return null;
  return nameProblem(user);
}

/** Said when a password is needed and there is no keyboard to ask at. */
export const NO_PASSWORD = 'no password: without a terminal, set CHAT_PASSWORD, or pass --password or --password-stdin';
/** Said when a username is needed and there is no keyboard to ask at: a script's first chat line is no name. */
export const NO_USERNAME = 'no username: without a terminal, pass --user';

/**
 * Said after ALREADY_LOGGED_IN: what to do about a name held by another client, which may be a
 * forgotten one at home or one whose computer went to sleep. (A client that quit or crashed
 * closed its connection: a login takes its session over, and is not refused.) 20 s is the
 * server's default --heartbeat-timeout; the client learns the real one only once logged in.
 */
export const heldElsewhere = (user: string): string[] => [
  `Another client is logged in as ${safeLine(user)}; log out there to use this one.`,
  'If that client is gone (asleep, network lost), the server ends its session after its heartbeat timeout, 20 s by default: try again then.',
];

/** Refusals that blame neither the name nor the password: the same login may pass later. */
export const LATER: ReadonlySet<string> = new Set<ErrorCode>(['LOGIN_THROTTLED', 'REGISTRATIONS_THROTTLED', 'SERVER_BUSY', 'STORE_FAILED']);

/** What the dialogue needs besides the keyboard. */
export interface DialogueDeps {
  /** Counts a wait down (the server's `retry`). */
  clock: Clock;
  /** Shows the client's own complaint about a typed answer. */
  complain(text: string): void;
  /** Shows what the dialogue does next, when the question alone would not say it. */
  inform(text: string): void;
}

export class Credentials {
  private user: string | undefined;
  private password: string | undefined;
  private typedUser = false;
  private typedPassword = false;
  /** Seconds to wait before the next question: a refusal said to try again later. */
  private pause = 0;
  /** The name was refused after the password was asked: say that the name is asked now. */
  private nameRefused = false;

  constructor(
    config: ClientConfig,
    private readonly ui: Ui,
    private readonly deps: DialogueDeps,
  ) {
    this.user = config.user;
    this.password = config.password;
  }

  /** Asks for what is missing; the login to send, or why there is none. */
  async login(): Promise<ClientMessage<'login'> | { fail: string }> {
    if (this.pause > 0) await this.waitOut(this.pause);
    this.pause = 0;
    while (this.user === undefined) {
      // main.ts refuses to start so; this keeps a script's chat line from becoming a name anyway.
      if (!this.ui.interactive) return { fail: NO_USERNAME };
      if (this.nameRefused) this.deps.inform('Choose another username.');
      this.nameRefused = false;
      const typed = await this.ui.ask('Username:', false);
      if (typed === null) return { fail: 'input ended before login' };
      // Checked here, before the password is asked for: a name the server refuses is asked again.
      const problem = userProblem(typed, this.password);
      if (problem) this.deps.complain(`invalid username: ${problem}`);
      else [this.user, this.typedUser] = [typed, true];
    }
    if (this.password === undefined) {
      if (!this.ui.interactive) return { fail: NO_PASSWORD };
      const typed = await this.ui.ask('Password:', true);
      if (typed === null) return { fail: 'input ended before login' };
      [this.password, this.typedPassword] = [typed, true];
    }
    return { type: 'login', user: this.user, password: this.password };
  }

  /** Forgets what a refusal says was wrong; false when it cannot be asked again (give up). */
  refused(e: ServerMessage<'error'>): boolean {
    const guest = this.password === '';
    const guestRefused = guest && (e.code === 'GUESTS_DISABLED' || e.code === 'NAME_IN_USE');
    if (guestRefused || e.code === 'BAD_PASSWORD' || e.code === 'PASSWORD_RULE') {
      // The name stands. An empty password asked for a guest, so one may be typed now.
      if (!this.ui.interactive || (!guestRefused && !this.typedPassword)) return false;
      this.password = undefined;
      return true;
    }
    if (LATER.has(e.code)) {
      // The name stands; the password is typed again after the wait (a given one gives up: a
      // script would only wait to be refused by the same wall, or not be there to see why).
      if (!this.ui.interactive || !this.typedPassword) return false;
      this.password = undefined;
      this.pause = e.retry ?? 0;
      return true;
    }
    // The name is refused: a name from --user stands as given, so the client gives up.
    if (e.code === 'ALREADY_LOGGED_IN') heldElsewhere(this.user ?? '').forEach((l) => this.deps.inform(l));
    if (!this.typedUser) return false;
    this.user = undefined;
    this.nameRefused = true;
    if (this.typedPassword) this.password = undefined;
    return true;
  }

  /** Waits `seconds`, counting down on the status row; Ctrl-C leaves meanwhile, as at a question. */
  private waitOut(seconds: number): Promise<void> {
    this.deps.inform(`Waiting ${seconds} s before asking for the password again; Ctrl-C quits.`);
    return countdown(this.deps.clock, seconds, (left) =>
      this.ui.status(left === 0 ? null : `password again in ${left} s (Ctrl-C quits)`),
    );
  }
}

/** Calls `tick` with the whole seconds left, from `seconds` down to 0 (at once, then each second); resolves at 0. */
export function countdown(clock: Clock, seconds: number, tick: (left: number) => void): Promise<void> {
  let left = Math.max(0, Math.ceil(seconds));
  tick(left);
  if (left === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = clock.every(1000, () => {
      tick(--left);
      if (left > 0) return;
      stop();
      resolve();
    });
  });
}
