/**
 * The login dialogue: which of the username and password to ask for, and after a refusal, which
 * to ask for again. The session sends the login; this holds the answers.
 *
 * A refusal says which answer was wrong. A wrong password, or one the server's rule refuses, asks
 * for the password again, keeping the name. So does a refused guest login (an empty password on a
 * server without guests, or under the name of an account): the name stands, the server wants a
 * password for it. Any other refusal (a bad or busy name) starts again from the name. Nothing is
 * asked again that did not come from the keyboard: a password from the command line would only be
 * wrong again, and a script's input would be read as answers.
 */
import { nameProblem } from '../common/names.js';
import type { ClientMessage, ServerMessage } from '../common/protocol.js';
import type { ClientConfig } from './config.js';
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

export class Credentials {
  private user: string | undefined;
  private password: string | undefined;
  private typedUser = false;
  private typedPassword = false;

  constructor(
    config: ClientConfig,
    private readonly ui: Ui,
    /** Shows the client's own complaint about a typed answer. */
    private readonly complain: (text: string) => void,
  ) {
    this.user = config.user;
    this.password = config.password;
  }

  /** Asks for what is missing; the login to send, or why there is none. */
  async login(): Promise<ClientMessage<'login'> | { fail: string }> {
    while (this.user === undefined) {
      const typed = await this.ui.ask('Username:', false);
      if (typed === null) return { fail: 'input ended before login' };
      // Checked here, before the password is asked for: a name the server refuses is asked again.
      const problem = userProblem(typed, this.password);
      if (problem) this.complain(`invalid username: ${problem}`);
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
    if (!this.typedUser && !this.typedPassword) return false;
    this.user = undefined;
    if (this.typedPassword) this.password = undefined;
    return true;
  }
}
