/**
 * What the user sees: server messages and local events turned into display lines. Pure: the
 * time of day comes from a formatter passed in, so tests get the same text on any machine.
 *
 * Every piece of text that came from the network goes through escapeForTerminal, so no other
 * user (nor a hostile server) can send escape sequences, carriage returns or bidi overrides to
 * this terminal.
 */
import { escapeForTerminal } from '../common/text.js';
import type { ServerMessage } from '../common/protocol.js';

/** How a line is shown; the terminal may colour by style. */
export type Style = 'chat' | 'private' | 'notice' | 'error' | 'info';

export interface DisplayLine {
  readonly style: Style;
  readonly text: string;
}

/** Milliseconds since the epoch → "HH:MM:SS". */
export type TimeFormat = (ms: number) => string;

/** Local time of day, HH:MM:SS. */
export const localTime: TimeFormat = (ms) => {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

/** Continuation lines of multi-line text line up under the text, but never further right than this. */
const MAX_INDENT = 24;
/** Online lists in notices are cut after this many names, so a big server does not flood the screen. */
const MAX_NAMES = 20;

/** Network text that must stay on one line: escaped, and newlines shown as \n. */
export function safeLine(s: string): string {
  return escapeForTerminal(s).replace(/\n/g, '\\n');
}

/** "alice, bob" or "alice, bob, … and 3 more"; `total` counts names the server did not list. */
export function nameList(names: readonly string[], total = names.length): string {
  const shown = names.slice(0, MAX_NAMES);
  if (shown.length === 0) return '';
  const list = shown.map(safeLine).join(', ');
  return total > shown.length ? `${list}${list ? ', ' : ''}… and ${total - shown.length} more` : list;
}

/**
 * `prefix` then the text; further lines of the text are indented to line up under the first.
 * Trailing empty lines are dropped.
 */
function block(style: Style, prefix: string, text: string): DisplayLine[] {
  const lines = escapeForTerminal(text).split('\n');
  while (lines.length > 1 && lines[lines.length - 1]!.trim() === '') lines.pop();
  const indent = ' '.repeat(Math.min(prefix.length, MAX_INDENT));
  return lines.map((l, i) => ({ style, text: i === 0 ? prefix + l : indent + l }));
}

/** Builds display lines; `time` formats timestamps, `now` stamps lines the server did not date. */
export class Formatter {
  constructor(
    private readonly time: TimeFormat,
    private readonly now: () => number,
  ) {}

  private stamp(ms?: number): string {
    return `[${this.time(ms ?? this.now())}]`;
  }

  /** The lines for one message from the server (none for the ones the session handles itself). */
  message(m: ServerMessage): DisplayLine[] {
    switch (m.type) {
      case 'msg':
        return this.chat(m);
      case 'notice': {
        const online = m.online ? ` (online: ${nameList(m.online)})` : '';
        return [{ style: 'notice', text: `${this.stamp(m.ts)} * ${safeLine(m.message)}${online}` }];
      }
      case 'error':
        return [this.error(m.message, true)];
      case 'who':
        return [this.online(m.online, m.count)];
      case 'bye':
        return [{ style: 'notice', text: `${this.stamp()} * ${safeLine(m.message)}` }];
      case 'hello':
      case 'login_ok':
        return [];
    }
  }

  /** `[t] alice: hello`, or `[t] [private] alice -> bob: hi`. */
  private chat(m: ServerMessage<'msg'>): DisplayLine[] {
    const from = safeLine(m.from);
    if (m.scope === 'private') {
      const to = m.to === undefined ? '' : ` -> ${safeLine(m.to)}`;
      return block('private', `${this.stamp(m.ts)} [private] ${from}${to}: `, m.text);
    }
    return block('chat', `${this.stamp(m.ts)} ${from}: `, m.text);
  }

  /** `[t] * Online (2): alice, bob`. Big servers send only `count` (and maybe some names). */
  online(names: readonly string[] = [], count = names.length): DisplayLine {
    const list = nameList(names, count);
    return { style: 'notice', text: `${this.stamp()} * Online (${count})${list ? `: ${list}` : ''}` };
  }

  /** `[t] ! message`. `fromNetwork` text is escaped; the client's own wording is not. */
  error(text: string, fromNetwork = false): DisplayLine {
    return { style: 'error', text: `${this.stamp()} ! ${fromNetwork ? safeLine(text) : text}` };
  }

  /** A line the user typed that could not be sent: never dropped silently. */
  notDelivered(line: string, why: string): DisplayLine {
    return { style: 'error', text: `${this.stamp()} ! not delivered (${why}): ${safeLine(line)}` };
  }

  /** `[t] text`: the client's own news (login, reconnects). */
  info(text: string): DisplayLine {
    return { style: 'info', text: `${this.stamp()} ${text}` };
  }

  /** Several lines of the client's own text (help), each stamped. */
  infoBlock(lines: readonly string[]): DisplayLine[] {
    return lines.map((l) => this.info(l));
  }
}
