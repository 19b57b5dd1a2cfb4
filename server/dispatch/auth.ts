/**
 * Logging in, registering, resuming and logging out.
 */
import { randomBytes } from 'node:crypto';
import { ChatError, chatError, errorMessage } from '../../common/errors.js';
import { foldName, nameProblem, numberedName } from '../../common/names.js';
import type { ClientMessage, Feature } from '../../common/protocol.js';
import { NameTaken } from '../store/accounts.js';
import { HashAbandoned, HasherBusy } from '../store/hasher.js';
import type { Command, Ctx } from './context.js';
import { featuresOf } from './secure.js';

/** bcrypt looks at the first 72 bytes only; longer passwords are refused, not silently cut. */
const BCRYPT_MAX_BYTES = 72;
const TOO_LONG = `use at most ${BCRYPT_MAX_BYTES} bytes`;
const tooLong = (password: string) => Buffer.byteLength(password, 'utf8') > BCRYPT_MAX_BYTES;

/**
 * login {user, password}: an unknown name registers, a known one checks the password, an empty
 * password asks for a guest login (when allowed). A wrong password leaves the connection open for
 * another try.
 */
export const login: Command<'login'> = {
  login: false,
  async run(ctx, msg) {
    const { caller, room, replies } = ctx;
    if (!caller.beginLogin()) {
      if (caller.state === 'authenticating') throw chatError('ALREADY_LOGGED_IN', 'this connection', true);
      throw chatError('ALREADY_LOGGED_IN', caller.user === null ? 'this connection' : room.display(caller.user));
    }
    try {
      // Names are kept in NFC form: ü typed as u + ¨ is the same name as ü.
      const asked = { ...msg, user: msg.user.normalize('NFC') };
      const error = await (msg.password === '' ? guestLogin(ctx, asked) : accountLogin(ctx, asked)).catch(refusal);
      // Answered before endLogin, which closes a caller whose login time ran out meanwhile.
      if (error) replies.reply(caller, errorMessage(error));
    } finally {
      caller.endLogin(); // a no-op once logged in
    }
  },
};

/** A refusal from the chat (a name taken meanwhile, on a cluster) is the login's answer, like any other. */
function refusal(e: unknown): ChatError {
  if (e instanceof ChatError) return e;
  throw e;
}

async function guestLogin({ config, room, chat, store, logins, caller }: Ctx, msg: ClientMessage<'login'>): Promise<ChatError | null> {
  if (!config.allowGuests) return chatError('GUESTS_DISABLED');
  // Without a name: Guest_ and a random suffix (the source port would tell others where from).
  const base = msg.user === '' ? `Guest_${randomBytes(3).toString('hex')}` : msg.user;
  const problem = nameProblem(base);
  if (problem) return chatError('BAD_NAME', problem);
  // Whether a name is an account is worth knowing to an attacker: such answers are throttled.
  const wait = logins.waitForAddress(caller.address);
  if (wait > 0) return chatError('LOGIN_THROTTLED', wait).retryIn(wait);
  // A name being registered right now counts as an account: the registration will win it.
  const taken = (name: string) => store.find(name) !== undefined || store.inFlight(name) !== undefined;
  if (taken(base)) {
    logins.revealed(caller.address);
    return chatError('NAME_IN_USE', base, 'account');
  }
  // Seed 000: a name already online gets _2, _3, ...; never an account's name, nor one being
  // registered. On one server nothing can take the name between this look and the login; on a
  // cluster another server's guest may have got it first: the login is refused, and the next
  // free number is tried.
  const tried = new Set<string>();
  const free = (name: string) => !room.find(name) && !taken(name) && !tried.has(foldName(name));
  for (let attempt = 1; ; attempt++) {
    const name = guestName(base, free);
    if (name === null) return chatError('NAME_IN_USE', base, 'numbered');
    tried.add(foldName(name));
    try {
      await chat.login(name, true, false, caller, msg.since, featuresOf(msg));
      return null;
    } catch (e) {
      if (!(e instanceof ChatError) || e.code !== 'ALREADY_LOGGED_IN') throw e;
      if (attempt >= GUEST_TRIES) return chatError('NAME_IN_USE', base, 'online');
    }
  }
}

/**
 * The first of `base`, base_2, base_3, … that is `free`; every one is a valid name (see
 * numberedName), so a guest is never handed a name the rules refuse to everyone else. Null when
 * numbering makes no valid name (then no larger number does either).
 */
function guestName(base: string, free: (name: string) => boolean): string | null {
  if (free(base)) return base;
  for (let n = 2; ; n++) {
    const name = numberedName(base, n);
    if (name === null || free(name)) return name;
  }
}

/** Names a guest login tries before it gives up (a cluster's servers racing for the same ones). */
const GUEST_TRIES = 10;

async function accountLogin(ctx: Ctx, msg: ClientMessage<'login'>): Promise<ChatError | null> {
  const { room, chat, store, hasher, logins, caller, log } = ctx;
  const { user, password } = msg;
  const problem = nameProblem(user);
  if (problem) return chatError('BAD_NAME', problem);
  const key = foldName(user);
  const gate = await logins.admit(key, caller.address);
  if (gate.wait > 0) return chatError('LOGIN_THROTTLED', gate.wait).retryIn(gate.wait);
  try {
    // Gone while waiting for a place: don't spend a hash on nobody.
    if (caller.closed) return null;
    await store.inFlight(user)?.catch(() => undefined);
    const account = store.find(user);
    if (!account) {
      gate.release(); // a registration guesses nothing (registrations have their own limit)
      return await register(ctx, user, password, featuresOf(msg));
    }
    // bcrypt would compare only the first 72 bytes: a longer password must not match.
    if (tooLong(password)) return chatError('PASSWORD_RULE', TOO_LONG);
    if (!(await hasher.compare(password, account.hash, () => !caller.closed))) {
      // Counted before the gate opens, so attempts waiting on this check see the failure.
      logins.fail(key, caller.address);
      log.warn(`Failed login for ${account.name} from ${caller.label}`);
      return chatError('BAD_PASSWORD');
    }
    logins.succeeded(key, caller.address);
    if (caller.closed) return null;
    const online = room.find(account.name);
    if (online?.state === 'attached') return chatError('ALREADY_LOGGED_IN', account.name);
    // The same user whose connection dropped a moment ago: the password proves it, take over
    // (with new heartbeat credentials: this may be a new client, counting from zero).
    if (online) await chat.resume(online, caller, { password: true, features: featuresOf(msg) });
    else await chat.login(account.name, false, false, caller, msg.since, featuresOf(msg));
    return null;
  } catch (e) {
    if (e instanceof HasherBusy) return chatError('SERVER_BUSY');
    if (e instanceof HashAbandoned) return null; // the connection closed while it waited
    throw e;
  } finally {
    gate.release();
  }
}

async function register(ctx: Ctx, user: string, password: string, features: Feature[]): Promise<ChatError | null> {
  const { config, room, chat, store, hasher, logins, caller, log } = ctx;
  // A guest online under this name, or another registration, may hold it: exactly one wins.
  const taken = () => {
    const online = room.find(user);
    if (online) return chatError('NAME_IN_USE', online.name, 'online');
    return store.find(user) || store.inFlight(user) ? chatError('NAME_IN_USE', user, 'registered') : null;
  };
  const before = taken();
  if (before) return before;
  const rule = passwordProblem(password, config.minPassword);
  if (rule) {
    // The password rule applies to new names only: this answer says the name is not an account.
    logins.revealed(caller.address);
    return chatError('PASSWORD_RULE', rule);
  }
  if (caller.closed) return null;
  const place = logins.startRegistration(caller.address);
  if (place.wait > 0) return chatError('REGISTRATIONS_THROTTLED', place.wait).retryIn(place.wait);
  try {
    const hash = await hasher.hash(password, config.bcryptCost, () => !caller.closed);
    // The name may have been taken while we hashed.
    const after = taken();
    if (after) return after;
    try {
      await store.create(user, hash, new Date(room.clock.now()));
    } catch (e) {
      if (e instanceof NameTaken) return chatError('NAME_IN_USE', user, 'registered');
      log.error(`Could not save account ${user}: ${(e as Error).message}`);
      return chatError('STORE_FAILED');
    }
    logins.registered(caller.address); // before the place is given back: counted all along
  } finally {
    place.release();
  }
  logins.succeeded(foldName(user), caller.address);
  log.info(`User ${user} successfully registered`);
  if (caller.closed) return null;
  await chat.login(user, false, true, caller, undefined, features);
  return null;
}

function passwordProblem(password: string, min: number): string | null {
  if ([...password].length < min) return `use at least ${min} characters`;
  return tooLong(password) ? TOO_LONG : null;
}

/** resume {session, token}: take back a session whose connection was lost, without a password. */
export const resume: Command<'resume'> = {
  login: false,
  async run({ room, chat, caller }, msg) {
    if (!caller.beginLogin()) throw chatError('ALREADY_LOGGED_IN', 'this connection', caller.state === 'authenticating');
    try {
      const session = room.bySessionId(msg.session);
      if (!session || !session.tokenMatches(msg.token)) throw chatError('RESUME_FAILED');
      // On a cluster this waits for the log: meanwhile a second login or resume on this
      // connection is told one is under way, and cannot attach it twice.
      await chat.resume(session, caller, { token: msg.token });
    } finally {
      caller.endLogin(); // a no-op once resumed
    }
  },
};

/** logout: from LOGOUT, exit or quit; a goodbye, then the connection closes. */
export const logout: Command<'logout'> = {
  login: true,
  run({ chat, me }) {
    return chat.end(me, 'logout');
  },
};
