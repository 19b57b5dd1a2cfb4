/**
 * What the user sees: server messages and local events turned into display lines. Pure: the
 * time of day comes from a formatter passed in, so tests get the same text on any machine.
 *
 * Every piece of text that came from the network goes through escapeForTerminal, so no other
 * user (nor a hostile server) can send escape sequences, carriage returns or bidi overrides to
 * this terminal. Chat text is also kept from forging lines by its layout: its further lines and
 * wrapped rows are indented (see wrap.ts), long runs of blanks are shown as a mark, and runs of
 * empty lines as one.
 */
import { escapeForTerminal } from '../common/text.js';
import type { ServerMessage } from '../common/protocol.js';
import { Mention } from './mention.js';
import { foldName } from '../common/names.js';

/** How a line is shown; the terminal may colour by style. */
export type Style = 'chat' | 'private' | 'notice' | 'error' | 'info' | 'history';

export interface DisplayLine {
  readonly style: Style;
  /** One line of text: no newlines. */
  readonly text: string;
  /**
   * Where the text starts, after the stamp and the sender: the column rows hang at when the
   * terminal is too narrow for the line (see wrap.ts hangingIndent).
   */
  readonly indent: number;
  /**
   * Shallower columns, deepest first, for rows to hang at instead when `indent` is too deep for
   * the screen (where the sender's name starts, where the stamp ends). None: always `indent`.
   */
  readonly hangs?: readonly number[];
  /**
   * A row of a table (help): its rows stay under its second column (`indent`) while that leaves
   * this many columns for text, however deep, so the table stays a table; past that, `hangs`.
   */
  readonly keep?: number;
  /** A further line of a multi-line text: shown at the hanging indent from its first row on. */
  readonly further?: boolean;
  /** Where the sender's name is in `text` (so it can have its own colour), and whose it is. */
  readonly sender?: { readonly at: number; readonly name: string };
  /** Someone else's line that names the user. */
  readonly mention?: boolean;
}

/** Milliseconds since the epoch → "HH:MM:SS". */
export type TimeFormat = (ms: number) => string;

/** Local time of day, HH:MM:SS. */
export const localTime: TimeFormat = (ms) => {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

/** Local date, YYYY-MM-DD. */
export const localDate: TimeFormat = (ms) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/**
 * What starts a line in the server's (or this client's) own voice: `[t] *** alice joined the
 * chat`. An action is `[t] * alice waves`, so no user can make a line that reads as the server's
 * ("/me is shutting down" from a user named Server), with or without colours (NO_COLOR).
 */
const SYSTEM = ' *** ';
/** Online lists in notices are cut after this many names, so a big server does not flood the screen. */
const MAX_NAMES = 20;
/** A line that was not delivered is quoted up to this many characters (it is in the input history). */
const MAX_QUOTE = 200;
/** A run of more blanks than this inside chat text is shown as a mark (`␣×60`), not as blanks. */
const MAX_BLANKS = 16;

/** Network text that must stay on one line: escaped, and newlines shown as \n. */
export function safeLine(s: string): string {
  return escapeForTerminal(s).replace(/\n/g, '\\n');
}

/**
 * Chat text as lines to show: escaped, each long run of blanks marked with its length, runs of
 * empty lines shown as one, trailing empty lines dropped. Blanks padding a line out to the edge
 * of the screen are what a forged line hides behind; a mark shows them for what they are.
 */
export function chatLines(text: string): string[] {
  const marked = escapeForTerminal(text).replace(new RegExp(` {${MAX_BLANKS + 1},}`, 'g'), (run) => ` ␣×${run.length} `);
  const lines: string[] = [];
  for (const line of marked.split('\n')) {
    const blank = line.trim() === '';
    if (blank && (lines.length === 0 || lines[lines.length - 1]!.trim() === '')) continue;
    lines.push(blank ? '' : line);
  }
  while (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines.length > 0 ? lines : [''];
}

/** "alice, bob" or "alice, bob, … and 3 more"; `total` counts names the server did not list. */
export function nameList(names: readonly string[], total = names.length): string {
  const shown = names.slice(0, MAX_NAMES);
  if (shown.length === 0) return '';
  const list = shown.map(safeLine).join(', ');
  return total > shown.length ? `${list}${list ? ', ' : ''}… and ${total - shown.length} more` : list;
}

/**
 * Who is away and why: "bob (gone fishing), carol". `messages` go with `names` in order (an older
 * server sends none: then the names alone).
 */
export function awayList(names: readonly string[], messages: readonly string[] = []): string {
  return nameList(names.map((name, i) => (messages[i] ? `${name} (${messages[i]})` : name)));
}

/**
 * A one-line display line whose wrapped rows hang under its text, after `prefix`, or at one of
 * the shallower `hangs` on a narrow screen.
 */
function line(style: Style, prefix: string, text: string, hangs?: readonly number[]): DisplayLine {
  const shallower = hangs && [...new Set(hangs)].filter((h) => h < prefix.length);
  return { style, text: prefix + text, indent: prefix.length, ...(shallower ? { hangs: shallower } : {}) };
}

/**
 * Several lines under one `prefix`: the first after it, the others `further`, shown where its
 * rows hang (so none of them can pass for a line of its own).
 */
function block(style: Style, prefix: string, texts: readonly string[], hangs?: readonly number[]): DisplayLine[] {
  const first = line(style, prefix, '', hangs);
  return texts.map((text, i) => (i === 0 ? { ...first, text: prefix + text } : { ...first, text, further: true }));
}

/** Columns a table row's second column keeps for text, at least, to hang its rows there (see keep). */
const TABLE_TEXT = 30;

/** Builds display lines; `time` formats timestamps, `now` stamps lines the server did not date. */
export class Formatter {
  /** The user's own name once logged in: lines that mention it are marked. */
  private me: Mention | null = null;

  constructor(
    private readonly time: TimeFormat,
    private readonly now: () => number,
    private readonly date: TimeFormat = localDate,
  ) {}

  /** Who the user is, for mentions. */
  setMe(name: string): void {
    if (this.me?.name !== name) this.me = new Mention(name);
  }

  private stamp(ms?: number): string {
    return `[${this.time(ms ?? this.now())}]`;
  }

  /** A stamp with the date in front when it is not today's (lines from history, kept messages). */
  private dated(ms: number): string {
    const day = this.date(ms);
    return day === this.date(this.now()) ? this.stamp(ms) : `[${day} ${this.time(ms)}]`;
  }

  /** The lines for one message from the server (none for the ones the session handles itself). */
  message(m: ServerMessage): DisplayLine[] {
    switch (m.type) {
      case 'msg':
        return this.chat(m);
      case 'notice': {
        // The operator's message of the day is a text file: its lines are meant as lines.
        if (m.event === 'motd') return block('notice', `${this.stamp(m.ts)}${SYSTEM}`, chatLines(m.message), [this.stamp(m.ts).length + 1]);
        const online = m.online ? ` (online: ${nameList(m.online)})` : '';
        // The operator's word, said to be theirs (a wall's text is anything the operator typed).
        const from = m.event === 'wall' ? 'Operator: ' : '';
        return [this.notice(`${from}${safeLine(m.message)}${online}`, m.ts)];
      }
      case 'error':
        return [this.error(m.message, true)];
      case 'who': {
        const lines = [this.online(m.online, m.count)];
        if (m.away && m.away.length > 0) lines.push(this.notice(`Away: ${awayList(m.away, m.awayMessages)}`));
        return lines;
      }
      case 'bye':
        return [this.notice(safeLine(m.message))];
      case 'transfer':
        return [this.notice(safeLine(m.message), m.ts)];
      case 'hello':
      case 'login_ok':
      case 'file_chunk':
      case 'file_ack':
        return [];
    }
  }

  /**
   * `[t] alice: hello`, or `[t] [private] alice -> bob: hi` (`[encrypted]` for a line of an
   * end-to-end encrypted session, opened by this client); an action `[t] * alice waves`. A line
   * from history says so on every line (`[t] (history) alice: …`, with the date when not today),
   * visible without colour; one kept while you were offline says `(while you were away)`.
   * Further lines of the text are indented to line up under the first.
   */
  private chat(m: ServerMessage<'msg'>): DisplayLine[] {
    const from = safeLine(m.from);
    const old = m.replay === true || m.offline === true;
    const mark = m.replay ? '(history) ' : m.offline ? '(while you were away) ' : '';
    const stamp = `${old ? this.dated(m.ts) : this.stamp(m.ts)} ${mark}`;
    const head = m.scope === 'private' ? `${stamp}[${m.sealed ? 'encrypted' : 'private'}] ` : stamp;
    const to = m.scope === 'private' && m.to !== undefined ? ` -> ${safeLine(m.to)}` : '';
    const prefix = m.action ? `${head}* ${from}${to} ` : `${head}${from}${to}: `;
    // Narrower, rows hang under the sender's name (after the marks), or else after the stamp.
    const hangs = [head.length, stamp.length - mark.length];
    const style: Style = m.replay ? 'history' : m.scope === 'private' ? 'private' : 'chat';
    const mention = m.scope === 'group' && this.me !== null && foldName(m.from) !== this.me.key && this.me.in(m.text);
    const at = m.action ? head.length + 2 : head.length;
    return block(style, prefix, chatLines(m.text), hangs).map((l, i) => ({
      ...l,
      ...(i === 0 ? { sender: { at, name: from } } : {}),
      ...(mention ? { mention } : {}),
    }));
  }

  /** `[t] *** Online (2): alice, bob`. Big servers send only `count` (and maybe some names). */
  online(names: readonly string[] = [], count = names.length): DisplayLine {
    const list = nameList(names, count);
    return this.notice(`Online (${count})${list ? `: ${list}` : ''}`);
  }

  /** `[t] ! message`. `fromNetwork` text is escaped; the client's own wording is not. */
  error(text: string, fromNetwork = false): DisplayLine {
    return this.marked('error', ' ! ', fromNetwork ? safeLine(text) : text);
  }

  /** A line the user typed that could not be sent: never dropped silently (a long one shown cut). */
  notDelivered(typed: string, why: string): DisplayLine {
    const chars = [...safeLine(typed)];
    const shown = chars.length > MAX_QUOTE ? `${chars.slice(0, MAX_QUOTE).join('')}…` : chars.join('');
    return this.marked('error', ' ! ', `not delivered (${why}): ${shown}`);
  }

  /** `[t] *** text`: the server's word, or the client's own worded as the server's notices are. */
  notice(text: string, ts?: number): DisplayLine {
    return this.marked('notice', SYSTEM, text, ts);
  }

  /** `[t]`, `mark`, `text`: rows hang under the text or, on a narrow screen, after the stamp. */
  private marked(style: Style, mark: string, text: string, ts?: number): DisplayLine {
    const stamp = this.stamp(ts);
    return line(style, stamp + mark, text, [stamp.length + 1]);
  }

  /** `[t] text`: the client's own news (login, reconnects). */
  info(text: string): DisplayLine {
    return line('info', `${this.stamp()} `, text);
  }

  /** Several lines of the client's own text (help), each stamped. */
  infoBlock(lines: readonly string[]): DisplayLine[] {
    return lines.map((l) => this.info(l));
  }

  /**
   * The client's own two-column table (help: `  NAME<blanks>  what it does`), each row stamped; a
   * row that wraps goes on under its second column, not under the time, so it still reads as a
   * table. A line that is not a row (a heading, a sentence) wraps as any other.
   */
  table(lines: readonly string[]): DisplayLine[] {
    return lines.map((text) => {
      const l = this.info(text);
      const second = /^ {2}\S.*? {2,}(?=\S)/.exec(text);
      // Where the second column leaves too little (a 40-column screen kept 10 for it, and the
      // short /help took 34 rows), rows hang under the first column.
      return second ? { ...l, indent: l.indent + second[0].length, keep: TABLE_TEXT, hangs: [l.indent + 2] } : l;
    });
  }
}
