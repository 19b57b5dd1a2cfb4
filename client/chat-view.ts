/**
 * The chat as the user sees it once logged in: what each message from the server shows (and
 * whether it rings the bell), what the prompt says, what a typed line means, and what Tab
 * completes. No sockets and no timers: the session (session.ts) owns the connection, chat.ts hands
 * messages in; this keeps the state they describe (who is online, the private partner, requests
 * waiting for an answer, lines not yet echoed) and answers in display lines and actions.
 */
import { yesOrNo } from '../common/answer.js';
import { foldName } from '../common/names.js';
import type { ClientMessage, ServerMessage } from '../common/protocol.js';
import { textProblem } from '../common/text.js';
import { oneChat, resolveAnswer, waitingLines, type OfferRef } from './answers.js';
import { TabCompleter } from './completion.js';
import { safeLine, type DisplayLine, type Formatter } from './format.js';
import { briefHelpLines, commandWords, helpFor, helpLines, parseInput } from './input.js';
import { alerts } from './mention.js';
import { promptText, type Prompt, type PromptLabel } from './prompt.js';
import { PendingRequests } from './requests.js';
import { Roster } from './roster.js';
import { Unconfirmed } from './unconfirmed.js';

type LoginOk = ServerMessage<'login_ok'>;
/** What a login_ok ends: the first login, a login after the server forgot the session, a resume. */
export type LoginKind = 'login' | 'relogin' | 'resume';

/** What a typed line asks the session to do. */
export type Typed =
  | { kind: 'send'; message: ClientMessage }
  | { kind: 'show'; lines: DisplayLine[] }
  | { kind: 'clear' }
  | { kind: 'logout' }
  | { kind: 'none' }
  /** Y/N or /accept, /reject for a file offer. */
  | { kind: 'file-answer'; offer: OfferRef; accept: boolean }
  | { kind: 'verify'; confirm: boolean }
  | { kind: 'trust'; name: string }
  | { kind: 'send-file'; to: string; path: string }
  | { kind: 'cancel'; which?: string };

/** What a message from the server does to the screen. */
export interface Shown {
  lines: DisplayLine[];
  /** A mention, a private line or a request: ring the bell. */
  bell: boolean;
  /** The prompt changed (a private chat started or ended). */
  prompt: boolean;
  /** To send now: the /history typed while the page before it was on its way. */
  send?: ClientMessage;
}

/**
 * The server's refusal as the reason a line was not delivered, in its parentheses: escaped,
 * without the words that say "not delivered" again (the line says so already), and a state
 * without its "you are" (`muted for sending too fast; try again in 10 s`).
 */
function refusal(message: string): string {
  return safeLine(message)
    .replace(/^not delivered: /, '')
    .replace(/; it was not delivered(?=:|$)/, '')
    .replace(/^you are /, '');
}

/** Says that the chat requests from `names` were cancelled by the private chat that started. */
function cancelledLine(names: readonly string[]): string {
  const who = names.map(safeLine);
  const list = who.length === 1 ? who[0]! : `${who.slice(0, -1).join(', ')} and ${who.at(-1)!}`;
  const one = names.length === 1;
  return `The private chat request${one ? '' : 's'} from ${list} ${one ? 'was' : 'were'} cancelled: one private chat at a time (${one ? `${list} was` : 'they were'} told).`;
}

/** /history typed while a page is on its way, kept at most (a pipe can type many at once). */
const HISTORY_QUEUED_MAX = 20;

export class ChatView {
  /** The longest message body the server takes, in bytes, when it says (its hello). */
  maxBody: number | undefined;
  /** The highest line id seen: a login after the server restarted asks for what came after it. */
  lastId: number | undefined;
  /** The oldest group line shown: /history asks for what came before it. */
  private oldest: number | undefined;
  /**
   * A /history page asked for and not answered yet. Each page starts where the one before ended,
   * which only its arrival tells: a /history typed meanwhile (a pipe types several at once) waits
   * for it, or every one of them would ask for the same page.
   */
  private historyAsked = false;
  /**
   * A /history refused with an error (muted): the notice that ends its page follows, and says
   * the same again without the error's "try again in 8 s"; only the error is shown.
   */
  private historyRefused = false;
  private readonly historyQueue: { count?: number }[] = [];
  private me = '';
  private partner: string | null = null;
  /**
   * The away message the server confirmed (null: not away), and the one last asked for (its
   * confirmation does not repeat it in a field): a login again after the session was lost asks
   * for it again, as the user set it and was never told it was gone.
   */
  private away: string | null = null;
  private awayAsked: string | null = null;
  private readonly roster = new Roster();
  private readonly pending = new PendingRequests();
  private readonly unconfirmed = new Unconfirmed();
  private readonly tab = new TabCompleter();
  /**
   * What the prompt says of the private chat besides the partner ("encrypted, verified", "NOT
   * encrypted"): the encrypted sessions' business (secure/secure-chats.ts).
   */
  privacy: () => PromptLabel | null = () => null;
  /** Whether the server names every refusal of a private message (see namesRefusals). */
  named: () => boolean = () => false;
  /** The file offers waiting for an answer (files/transfers.ts), for Y/N and /accept. */
  offers: () => readonly OfferRef[] = () => [];

  constructor(private readonly fmt: Formatter) {}

  /** "alice> ", or "alice (private: bob, encrypted)> " while in a private chat. */
  get prompt(): string {
    return promptText(this.promptParts);
  }

  /** What the prompt says, for the terminal to fit to its width (prompt.ts). */
  get promptParts(): Prompt {
    const me = safeLine(this.me);
    if (!this.partner) return { me };
    const label = this.privacy();
    return { me, partner: safeLine(this.partner), ...(label ? { label } : {}) };
  }

  /**
   * Logged in (or back): what to say about it. `asked`: the name the user gave, to say so when
   * a guest got another one (alice_2).
   */
  loggedIn(m: LoginOk, how: LoginKind, asked?: string): DisplayLine[] {
    this.me = m.user;
    this.fmt.setMe(m.user);
    this.roster.follow(m);
    // A new session: the requests that waited for the old one are gone with it.
    if (how === 'relogin') this.pending.clear();
    const was = this.partner;
    this.partner = m.partner ?? null;
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
    if (m.guest && how === 'login') {
      const renamed = asked !== undefined && asked !== '' && foldName(asked) !== foldName(m.user);
      lines.push(f.info(`You are a guest${renamed ? `: ${safeLine(asked)} was taken, so you are ${safeLine(m.user)}` : ` named ${safeLine(m.user)}`}. Nothing is kept for guests; register with a password to have an account.`));
    }
    if (how !== 'resume') lines.push(f.online(m.online, m.count));
    if (this.partner) lines.push(f.info(`You are in a private chat with ${safeLine(this.partner)}; type EXIT PM to leave.`));
    // Loudly: the prompt alone changing would let the next private line go to the whole group.
    // Only for a new session: after a resume (the same session) the server's pm_ended follows.
    else if (was && how === 'relogin') lines.push(f.error(`your private chat with ${safeLine(was)} ended with the previous session: what you type now goes to everyone`));
    return lines;
  }

  /**
   * After a login again (the server had lost the session, and the away mark with it): the away
   * message to set again, if the user was away. A resume keeps it; a first login has none.
   */
  awayAgain(how: LoginKind): ClientMessage<'away'> | undefined {
    return how === 'relogin' && this.away !== null ? { type: 'away', message: this.away } : undefined;
  }

  /** The connection was lost: lines not echoed by now never will be (the server says if not sent). */
  lost(): void {
    this.unconfirmed.clear();
    this.historyAsked = false;
    this.historyRefused = false;
    this.historyQueue.length = 0;
  }

  /** One message from the server, once logged in. */
  received(m: ServerMessage): Shown {
    this.roster.follow(m);
    if (m.type === 'msg') {
      this.lastId = Math.max(this.lastId ?? 0, m.id);
      if (m.scope === 'group') this.oldest = Math.min(this.oldest ?? m.id, m.id);
    }
    const before = this.prompt;
    const cancelled = m.type === 'notice' && m.event === 'pm_started' ? this.othersWaiting(m.user) : [];
    if (m.type === 'notice') this.track(m);
    const lines = this.fmt.message(m);
    if (cancelled.length > 0) lines.push(this.fmt.info(cancelledLine(cancelled)));
    if (m.type === 'msg' && foldName(m.from) === foldName(this.me)) this.unconfirmed.echoed(m);
    if (m.type === 'notice' && m.event === 'offline_stored') lines.push(...this.keptLine(m));
    const next = m.type === 'notice' && m.event === 'history' ? this.historyAnswered() : undefined;
    if (m.type === 'error' && m.re === 'history') this.historyRefused = true;
    else if (m.type === 'notice' && m.event === 'history' && this.historyRefused) {
      this.historyRefused = false;
      lines.length = 0;
    }
    if (m.type === 'error') {
      // The line typed last left the screen on Enter; the echo that was to replace it will not come.
      // One line says both, the server's reason in place of the error's own line: muted, each line
      // typed on would otherwise take two.
      const text = this.unconfirmed.refused(m.code, m.user, this.named(), m.re);
      if (text !== null) lines.splice(0, lines.length, this.fmt.notDelivered(text, refusal(m.message)));
    }
    // The formatter has tested the line for the user's name already: its mark is the answer.
    const mentioned = lines.some((l) => l.mention === true);
    return { lines, bell: alerts(m, this.me, mentioned), prompt: this.prompt !== before, ...(next ? { send: next } : {}) };
  }

  /**
   * A private message kept for its offline recipient gets no echo, which is what would have shown
   * it in place of the typed line: it is shown here instead, as the echo would have been.
   */
  private keptLine(m: ServerMessage<'notice'>): DisplayLine[] {
    const kept = this.unconfirmed.kept(m.user);
    if (!kept || m.user === undefined) return [];
    const action = kept.action ? { action: true } : {};
    return this.fmt.message({ type: 'msg', id: 0, from: this.me, to: m.user, ts: m.ts, scope: 'private', text: kept.text, ...action });
  }

  /**
   * The screen was cleared (/clear, Ctrl-L): nothing of the chat is shown any more, so /history
   * starts again from the newest lines, as after login, and brings back what was cleared. Going on
   * from the oldest line once shown said "Nothing older" to a user who had only seen the start.
   */
  cleared(): void {
    this.oldest = undefined;
  }

  /** Some /history typed waits for the page before it to arrive before it can be asked for. */
  get historyWaiting(): boolean {
    return this.historyQueue.length > 0;
  }

  /** A /history page ended: the next /history waiting, if any, to send now. */
  private historyAnswered(): ClientMessage<'history'> | undefined {
    this.historyAsked = false;
    const next = this.historyQueue.shift();
    return next && this.historyRequest(next.count);
  }

  private historyRequest(count: number | undefined): ClientMessage<'history'> {
    return { type: 'history', ...(count !== undefined ? { count } : {}), ...(this.oldest !== undefined ? { before: this.oldest } : {}) };
  }

  /** What typing `line` does. */
  typed(line: string): Typed {
    const action = parseInput(line);
    switch (action.kind) {
      case 'help':
        return this.help(action.all, action.topic);
      case 'problem':
        return { kind: 'show', lines: [this.fmt.error(action.text, true)] };
      case 'answer':
        return this.answer(action.accept, action.typed, action.target);
      case 'verify':
      case 'trust':
      case 'send-file':
      case 'cancel':
        return action;
      case 'send':
        return this.unsendable(action.message) ?? { kind: 'send', message: action.message };
      case 'history':
        if (this.historyAsked) {
          if (this.historyQueue.length >= HISTORY_QUEUED_MAX) {
            return { kind: 'show', lines: [this.fmt.error(`${HISTORY_QUEUED_MAX} /history pages are already waiting for the one on its way: this one was not asked for.`)] };
          }
          this.historyQueue.push(action.count !== undefined ? { count: action.count } : {});
          return { kind: 'none' };
        }
        return { kind: 'send', message: this.historyRequest(action.count) };
      case 'logout':
        // In a private chat a bare "exit" or "quit" is as likely meant for the chat as for the
        // program (seed 002 leaves one with EXIT PM, the program with LOGOUT): neither is guessed.
        if (this.partner && /^\s*(exit|quit)\s*$/i.test(line)) {
          const p = safeLine(this.partner);
          return { kind: 'show', lines: [this.fmt.error(`you are in a private chat with ${p}: EXIT PM leaves it, /quit (or LOGOUT) logs out`)] };
        }
        return action;
      case 'none':
      case 'clear':
        return action;
    }
  }

  /** /help, /help all, /help WORD. */
  private help(all: boolean, topic: string | undefined): Typed {
    if (topic === undefined) return { kind: 'show', lines: this.fmt.table(all ? helpLines() : briefHelpLines()) };
    const lines = helpFor(topic);
    if (lines) return { kind: 'show', lines: this.fmt.table(lines) };
    return { kind: 'show', lines: [this.fmt.error(`no command or key "${safeLine(topic)}"; /help all lists every one`)] };
  }

  /**
   * Y/N, /accept, /reject: for the one request they can mean (answers.ts). A chat answer names its
   * request, so the key that goes with it (an encrypted chat) is the right one.
   */
  private answer(accept: boolean, typed: string, target: string | undefined): Typed {
    const chats = this.pending.list();
    const offers = this.offers();
    if (target === undefined && chats.length === 0 && offers.length === 0) {
      // A stray "y" or "no" with nothing to answer is almost never meant for everyone.
      const t = safeLine(typed);
      return { kind: 'show', lines: [this.fmt.error(`no private chat request to answer; to send "${t}" anyway, type /say ${t}`)] };
    }
    const r = resolveAnswer(chats, offers, target, accept);
    if (r.kind === 'file') return { kind: 'file-answer', offer: r.offer, accept };
    if (r.kind === 'unclear') return { kind: 'show', lines: r.lines.map((l, i) => (i === 0 ? this.fmt.error(l) : this.fmt.info(l))) };
    return { kind: 'send', message: { type: 'pm_answer', accept, ...(r.from !== undefined ? { from: r.from } : {}) } };
  }

  /**
   * A chat line the server would refuse for what it is (longer than it takes, a control
   * character piped in) is refused here, in words, rather than sent to be refused there (it stays
   * in the input history, a key Up away). The server could not name the recipient of a /msg it
   * cannot read, so its refusal would be taken for a group line's.
   */
  private unsendable(m: ClientMessage): Typed | null {
    if (m.type !== 'say' && m.type !== 'dm') return null;
    const problem = textProblem(m.text);
    if (problem) return { kind: 'show', lines: [this.fmt.error(`message text ${problem}; not sent`)] };
    if (this.maxBody === undefined) return null;
    const bytes = Buffer.byteLength(m.text, 'utf8');
    if (bytes <= this.maxBody) return null;
    const n = (v: number) => v.toLocaleString('en-US');
    return { kind: 'show', lines: [this.fmt.error(`message too long: ${n(bytes)} bytes, the limit is ${n(this.maxBody)}; not sent`)] };
  }

  /**
   * When more than one request waits (chat requests, file offers), how to answer each: a bare
   * Y/N would not say which. Nothing when one waits.
   */
  requestsHint(): DisplayLine[] {
    const chats = this.pending.list();
    const offers = this.offers();
    if (chats.length + offers.length < 2) return [];
    const lines = ['More than one request waits now; a bare Y/N will ask which. Answer each with:', ...waitingLines(chats, offers), ...oneChat(chats)];
    return lines.map((l) => this.fmt.info(l));
  }

  /** `m` went out: a chat line now waits for its echo. */
  sent(m: ClientMessage): void {
    // (A bare "y" said with /say may be taken by the server as an answer: no echo will come.)
    if (m.type === 'say' && !m.group && yesOrNo(m.text) !== null) return;
    if (m.type === 'say') this.unconfirmed.sent('say', m.text, m.action === true);
    if (m.type === 'dm') this.unconfirmed.sent('dm', m.text, m.action === true, m.to);
    if (m.type === 'history') this.historyAsked = true;
    if (m.type === 'away') this.awayAsked = m.message;
  }

  /**
   * Tab: completes a name of someone online or a command. When it cannot choose, the first Tab
   * lists the candidates and each one after it puts the next in the line.
   */
  complete(text: string, cursor: number): { text: string; cursor: number; lines: DisplayLine[] } | null {
    const me = foldName(this.me);
    const names = this.roster.list().filter((n) => foldName(n) !== me);
    const done = this.tab.complete(text, cursor, names, commandWords());
    if (!done) return null;
    return { text: done.text, cursor: done.cursor, lines: done.list.length > 0 ? [this.fmt.info(done.list.map(safeLine).join('  '))] : [] };
  }

  /**
   * The requests a chat starting with `partner` cancels (the server tells their senders, not us):
   * the user may have meant to answer one of them next.
   */
  private othersWaiting(partner: string | undefined): string[] {
    const key = partner === undefined ? undefined : foldName(partner);
    return this.pending.list().filter((n) => foldName(n) !== key);
  }

  /**
   * Follows private sessions, so the prompt says where plain lines go, requests, for Y/N, and
   * whether we are away.
   */
  private track(m: ServerMessage<'notice'>): void {
    this.pending.notice(m);
    if (m.event === 'pm_started' && m.user) this.partner = m.user;
    else if (m.event === 'pm_ended') this.partner = null;
    // (An away notice naming someone is their away message, told to us.)
    else if (m.event === 'away' && m.user === undefined) this.away = this.awayAsked ?? this.away;
    else if (m.event === 'back') this.away = null;
  }
}
