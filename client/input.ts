/**
 * What the user types, turned into what the client should do. Pure: no sockets, no terminal.
 *
 * One table holds every command with its syntax and description; the parser walks it in order
 * (first match wins) and /help prints it, so a command cannot be added without being documented.
 */
import { yesOrNo } from '../common/answer.js';
import type { ClientMessage } from '../common/protocol.js';

export type Action =
  | { kind: 'send'; message: ClientMessage }
  /**
   * A bare Y/N (yes/no), or /accept and /reject with `target` (a name, or #N for a file offer):
   * which request it answers is decided against those waiting (answers.ts).
   */
  | { kind: 'answer'; accept: boolean; typed: string; target?: string }
  /** /verify: the safety number of the encrypted chat; `confirm` (/verify yes): it matched. */
  | { kind: 'verify'; confirm: boolean }
  /** /trust NAME: accept NAME's changed identity key. */
  | { kind: 'trust'; name: string }
  /** /send NAME PATH: offer NAME a file. */
  | { kind: 'send-file'; to: string; path: string }
  /** /cancel [#N | NAME]: stop a file transfer (the only one, when there is one). */
  | { kind: 'cancel'; which?: string }
  | { kind: 'logout' }
  /** /help: the short page; /help all: every command and key; /help WORD: that command (or key). */
  | { kind: 'help'; all: boolean; topic?: string }
  | { kind: 'clear' }
  /** /history [N]: older group lines (the session knows from where). */
  | { kind: 'history'; count: number }
  /** A local mistake (usage, unknown command): shown to the user, nothing is sent. */
  | { kind: 'problem'; text: string }
  | { kind: 'none' };

export interface CommandEntry {
  /** How it is typed, as /help shows it. */
  readonly syntax: string;
  readonly description: string;
  /**
   * On the short /help page, the commands most used: one screen row each at 80 columns, so the
   * page fits a 24-row terminal. `syntax` when the full one is too wide for that.
   */
  readonly brief?: { readonly syntax?: string; readonly description: string };
  /** The action when `line` is this command, or null to let the next entry try. */
  parse(line: string): Action | null;
}

const send = (message: ClientMessage): Action => ({ kind: 'send', message });
const problem = (text: string): Action => ({ kind: 'problem', text });

/** The first word and what follows it (leading blanks removed, the rest kept as typed). */
function split(line: string): { head: string; rest: string } {
  const s = line.replace(/^\s+/, '');
  const i = s.search(/\s/);
  return i < 0 ? { head: s, rest: '' } : { head: s.slice(0, i), rest: s.slice(i).replace(/^\s+/, '') };
}

/**
 * Splits `rest` into the named parameters. A final TEXT takes the remainder of the line as typed;
 * other parameters are single words. Null when one is missing or a word is left over.
 */
function bind(rest: string, params: readonly string[]): string[] | null {
  const out: string[] = [];
  let left = rest;
  for (const [i, p] of params.entries()) {
    if (p === 'TEXT' && i === params.length - 1) {
      if (left.trim() === '') return null;
      return [...out, left];
    }
    const { head, rest: more } = split(left);
    if (head === '') return null;
    out.push(head);
    left = more;
  }
  return left.trim() === '' ? out : null;
}

/** A command selected by its first word (any case), e.g. `/msg NAME TEXT`. */
function command(head: string, params: string, description: string, build: (args: string[]) => Action, brief?: string): CommandEntry {
  const names = params.split(' ').filter(Boolean);
  const syntax = `${head} ${params}`.trim();
  return {
    syntax,
    description,
    ...(brief !== undefined ? { brief: { description: brief } } : {}),
    parse(line) {
      const { head: first, rest } = split(line);
      if (first.toLowerCase() !== head.toLowerCase()) return null;
      const args = bind(rest, names);
      return args ? build(args) : problem(`usage: ${syntax}`);
    },
  };
}

/** A command that is the whole line, in any case, e.g. `EXIT PM`. */
function exact(words: readonly string[], description: string, action: Action, brief?: CommandEntry['brief']): CommandEntry {
  const wanted = new Set(words.map((w) => w.toLowerCase()));
  return {
    syntax: words.join(' | '),
    description,
    ...(brief ? { brief } : {}),
    parse: (line) => (wanted.has(line.trim().replace(/\s+/g, ' ').toLowerCase()) ? action : null),
  };
}

/** `HEAD [WORD]`, e.g. `/verify [yes]`: `build(true)` with the word (any case), `build(false)` without; else `usage`. */
function optionalWord(head: string, word: string, description: string, usage: string, build: (given: boolean) => Action): CommandEntry {
  return {
    syntax: `${head} [${word}]`,
    description,
    parse(line) {
      const { head: first, rest } = split(line);
      if (first.toLowerCase() !== head.toLowerCase()) return null;
      const typed = rest.trim().toLowerCase();
      return typed === '' || typed === word ? build(typed === word) : problem(usage);
    },
  };
}

/** Commands of other chat programs that people type here first, and what ours are. */
const OURS_INSTEAD: Readonly<Record<string, string>> = {
  '/pm': 'a private chat is asked for with @PM NAME',
  '/query': 'a private chat is asked for with @PM NAME',
  '/exit': 'EXIT PM leaves a private chat, /quit logs out',
  '/part': 'EXIT PM leaves a private chat, /quit logs out',
};

/** The last entry: any line no command took (so it always has an action). */
const CHAT_LINE = {
  syntax: 'TEXT',
  description: 'anything else goes to the group, or to your partner during a private chat',
  brief: { description: 'to everyone, or to your partner in a private chat' },
  parse(line: string): Action {
    const { head } = split(line);
    const instead = OURS_INSTEAD[head.toLowerCase()];
    if (instead) return problem(`unknown command ${head}; ${instead} (see /help)`);
    if (head.startsWith('/')) return problem(`unknown command ${head}; type /help for the list`);
    return send({ type: 'say', text: line });
  },
} satisfies CommandEntry;

/** Every command but the last, in the order they are tried. */
const SPECIFIC: readonly CommandEntry[] = [
  command('@PM', 'NAME', 'ask NAME for an end-to-end encrypted private chat', ([to]) => send({ type: 'pm_request', to: to! }), 'ask NAME for an encrypted private chat'),
  command(
    '/plain', 'NAME', 'ask NAME for a private chat that is NOT encrypted (an IRC user, a client that cannot encrypt)',
    ([to]) => send({ type: 'pm_request', to: to!, plain: true }),
    'ask NAME for a private chat that is NOT encrypted',
  ),
  {
    syntax: 'Y | N',
    description: 'answer the request waiting (also yes / no, any case); with several, see /accept',
    brief: { description: 'answer the request waiting (yes / no)' },
    parse(line) {
      const accept = yesOrNo(line);
      return accept === null ? null : { kind: 'answer', accept, typed: line.trim() };
    },
  },
  command('/accept', 'NAME|#N', "accept NAME's private chat request, or file offer #N", ([target]) => ({
    kind: 'answer', accept: true, typed: `/accept ${target!}`, target: target!,
  })),
  command('/reject', 'NAME|#N', "refuse NAME's private chat request, or file offer #N", ([target]) => ({
    kind: 'answer', accept: false, typed: `/reject ${target!}`, target: target!,
  })),
  exact(['EXIT PM'], 'leave the private chat', send({ type: 'pm_exit' }), { description: 'leave the private chat' }),
  optionalWord(
    '/verify', 'yes',
    'in an encrypted chat: the safety number to compare with your partner; "yes" once it matched (also for a request whose key changed, before /trust)',
    'usage: /verify, or /verify yes once the numbers matched',
    (confirm) => ({ kind: 'verify', confirm }),
  ),
  command('/trust', 'NAME', "accept NAME's new identity key after a warning that it changed", ([name]) => ({ kind: 'trust', name: name! })),
  {
    syntax: '/send NAME PATH',
    description: 'offer NAME the file at PATH (NAME is asked first; encrypted inside an encrypted chat)',
    brief: { description: 'offer NAME a file' },
    parse(line) {
      const { head, rest } = split(line);
      if (head.toLowerCase() !== '/send') return null;
      const { head: to, rest: path } = split(rest);
      const unquoted = path.trim().replace(/^(["'])(.*)\1$/, '$2');
      return to === '' || unquoted === '' ? problem('usage: /send NAME PATH') : { kind: 'send-file', to, path: unquoted };
    },
  },
  {
    syntax: '/cancel [#N|NAME]',
    description: 'stop a file transfer, yours or one to you (which one, when there are several)',
    parse(line) {
      const { head, rest } = split(line);
      if (head.toLowerCase() !== '/cancel') return null;
      const which = rest.trim();
      if (/\s/.test(which)) return problem('usage: /cancel [#N|NAME]');
      return which === '' ? { kind: 'cancel' } : { kind: 'cancel', which };
    },
  },
  command('/all', 'TEXT', 'send TEXT to the group, even during a private chat (the group is never encrypted)', ([text]) =>
    send({ type: 'say', group: true, text: text! }),
  ),
  command(
    '/msg', 'NAME TEXT', 'send TEXT to NAME only (one private message, NOT end-to-end encrypted)',
    ([to, text]) => send({ type: 'dm', to: to!, text: text! }),
    'one private message to NAME (NOT encrypted)',
  ),
  {
    syntax: '@NAME TEXT',
    description: 'the same as /msg NAME TEXT (not encrypted)',
    parse(line) {
      const { head, rest } = split(line);
      if (!head.startsWith('@') || head.length < 2) return null;
      if (rest.trim() === '') return problem('usage: @NAME TEXT');
      return send({ type: 'dm', to: head.slice(1), text: rest });
    },
  },
  command('/say', 'TEXT', 'send TEXT as it is, even a lone "y" or a word that is a command', ([text]) =>
    send({ type: 'say', text: text! }),
  ),
  command('/me', 'TEXT', 'an action: "/me waves" shows "* alice waves" (to your partner in a private chat)', ([text]) =>
    send({ type: 'say', action: true, text: text! }),
  ),
  command('/who', '', 'list who is online (and who is away, and why)', () => send({ type: 'who' }), 'who is online'),
  {
    syntax: '/history [N]',
    description: 'show N older lines (default 50, at most 200); again for more, back to the start',
    brief: { description: 'older lines of the group' },
    parse(line) {
      const { head, rest } = split(line);
      if (head.toLowerCase() !== '/history') return null;
      if (rest.trim() === '') return { kind: 'history', count: 50 };
      const n = Number(rest.trim());
      return Number.isInteger(n) && n >= 1 && n <= 200 ? { kind: 'history', count: n } : problem('usage: /history [N], N from 1 to 200');
    },
  },
  {
    syntax: '/away [MESSAGE]',
    description: 'mark yourself away; who writes to you gets MESSAGE (once), /who marks you away',
    parse(line) {
      const { head, rest } = split(line);
      return head.toLowerCase() === '/away' ? send({ type: 'away', message: rest.trim() === '' ? 'away' : rest }) : null;
    },
  },
  command('/back', '', 'no longer away', () => send({ type: 'back' })),
  command('/clear', '', 'clear the screen', () => ({ kind: 'clear' })),
  {
    syntax: '/help [all|COMMAND]',
    description: 'the most used commands; "all": this list of every command and key; COMMAND: that one (/help send)',
    parse(line) {
      const { head, rest } = split(line);
      if (head.toLowerCase() !== '/help') return null;
      const words = rest.trim().split(/\s+/).filter((w) => w !== '');
      if (words.length === 0) return { kind: 'help', all: false };
      if (words.length > 1) return problem('usage: /help, /help all for every command and key, or /help COMMAND (/help send)');
      return words[0]!.toLowerCase() === 'all' ? { kind: 'help', all: true } : { kind: 'help', all: false, topic: words[0]! };
    },
  },
  exact(['LOGOUT', 'exit', 'quit', '/quit'], 'log out and leave (in a private chat: LOGOUT or /quit)', { kind: 'logout' }, {
    syntax: '/quit',
    description: 'log out and leave',
  }),
  {
    syntax: '//TEXT',
    description: 'send a line that starts with /',
    parse: (line) => (line.trimStart().startsWith('//') ? send({ type: 'say', text: line.trimStart().slice(1) }) : null),
  },
];

export const COMMANDS: readonly CommandEntry[] = [...SPECIFIC, CHAT_LINE];

/** What typing `line` means. Blank lines mean nothing. */
export function parseInput(line: string): Action {
  if (line.trim() === '') return { kind: 'none' };
  for (const entry of SPECIFIC) {
    const action = entry.parse(line);
    if (action) return action;
  }
  return CHAT_LINE.parse(line);
}

/** The keys of the line editor (tty.ts, editor.ts), for /help. */
export const KEYS: readonly (readonly [string, string])[] = [
  ['Enter', 'send the line'],
  ['Alt-Enter, Ctrl-J', 'start a new line in the same message'],
  ['paste', 'pasted lines become one message (with their newlines); Enter sends it'],
  ['Tab', 'complete a name (at the start of a line: "bob: ") or a /command; again: the next match'],
  ['Up, Down', 'earlier lines you sent (or the line above or below in a long message); also Ctrl-P, Ctrl-N'],
  ['Left, Right', 'a character back, forward; also Ctrl-B, Ctrl-F'],
  ['Alt-B, Alt-F', 'a word back, forward; also Ctrl-Left, Ctrl-Right'],
  ['Home, End', 'start, end of the line; also Ctrl-A, Ctrl-E'],
  ['Backspace, Delete', 'delete the character before, at the cursor'],
  ['Ctrl-W, Alt-D', 'delete the word before, after the cursor; Alt-Backspace: before'],
  ['Ctrl-U, Ctrl-K', 'delete the line before, after the cursor'],
  ['Ctrl-L', 'clear the screen'],
  ['Ctrl-C', 'clear the line; on an empty line, log out'],
  ['Ctrl-D', 'log out (on an empty line)'],
  ['Ctrl-Z', 'suspend the client; fg brings it back'],
];

// Said on both pages, plainly: people assume "private" means "encrypted" everywhere.
const ENCRYPTED_ONLY = 'Only a private chat started with @PM between tinychat clients is end-to-end encrypted; /msg, @NAME and the group are not.';

type HelpRow = readonly [name: string, what: string];

/** Rows of a help page: each name padded to `width` (the widest of them by default), then what it does. */
function aligned(rows: readonly HelpRow[], width = Math.max(...rows.map(([name]) => name.length))): string[] {
  return rows.map(([name, what]) => `  ${name.padEnd(width)}  ${what}`);
}

const commandRows = (commands: readonly CommandEntry[]): HelpRow[] => commands.map((c) => [c.syntax, c.description]);

/** The /help all text: one line per command, then the keys, descriptions aligned. */
export function helpLines(): string[] {
  const width = Math.max(...[...COMMANDS.map((c) => c.syntax), ...KEYS.map(([k]) => k)].map((name) => name.length));
  return ['Commands:', ...aligned(commandRows(COMMANDS), width), ENCRYPTED_ONLY, 'Keys:', ...aligned(KEYS, width)];
}

/** A command or key as /help WORD names it: without its / or @, in any case. */
const topicWord = (w: string) => w.replace(/^[/@]+/, '').toLowerCase();

/**
 * /help WORD: the commands (and keys) that WORD names, as /help all shows them: `send` or `/send`
 * for /send, `pm` for @PM, `exit` for EXIT PM and for exit (log out). Null when none does.
 */
export function helpFor(topic: string): string[] | null {
  const want = topicWord(topic);
  // The first word of each way to type it ("LOGOUT | exit | quit | /quit"), not its parameters.
  const names = (syntax: string) => syntax.split('|').map((alt) => topicWord(alt.trim().split(/\s+/)[0]!));
  const commands = COMMANDS.filter((c) => names(c.syntax).includes(want));
  const keys = KEYS.filter(([k]) => k.split(/,\s*/).some((name) => name.toLowerCase() === want));
  if (commands.length + keys.length === 0) return null;
  return aligned([...commandRows(commands), ...keys]);
}

/**
 * The /help text: the commands most used (those with a `brief`), one short line each, so that the
 * page fits one screen and its top has not scrolled away; the way to the full list last.
 */
export function briefHelpLines(): string[] {
  const rows = COMMANDS.flatMap((c): HelpRow[] => (c.brief ? [[c.brief.syntax ?? c.syntax, c.brief.description]] : []));
  return [
    'The commands most used:',
    ...aligned(rows),
    ENCRYPTED_ONLY,
    'Type /help all for every command and key.',
  ];
}

/** The /commands, as Tab completes them: `/accept`, `/all`, ... */
export function commandWords(): string[] {
  const words = COMMANDS.flatMap((c) => c.syntax.split(/[\s|]+/)).filter((w) => /^\/[a-z]+$/i.test(w));
  return [...new Set(words.map((w) => w.toLowerCase()))].sort();
}
