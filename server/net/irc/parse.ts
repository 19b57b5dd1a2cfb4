/**
 * IRC's message syntax, both ways, as pure functions: a line from a client becomes an
 * IrcMessage (`parseLine`), and the server's replies are built as lines that can never carry a
 * second line inside them (`ircLine`, `textLines`).
 *
 *   [@tags SPACE] [:source SPACE] COMMAND *(SPACE param) [SPACE :trailing]
 *
 * (RFC 1459 section 2.3, IRCv3 message tags; the modern description is https://modern.ircdocs.horse.)
 */
import { chatError, type ChatError } from '../../../common/errors.js';
import { MAX_LINE } from './lines.js';

export interface IrcMessage {
  /** IRCv3 tags, unescaped; kept so they can be read, unused by the server so far. */
  readonly tags: ReadonlyMap<string, string>;
  /** The source a client put first (servers ignore it). */
  readonly source: string | null;
  /** Upper case: a word, or a three-digit numeric. */
  readonly command: string;
  readonly params: readonly string[];
}

/** At most 15 parameters (RFC 1459): the 15th takes the rest of the line. */
const MAX_PARAMS = 15;
const COMMAND = /^(?:[A-Za-z]+|\d{3})$/;
const TAG_ESCAPES: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

/** One line (without its line ending) as a message, or why it is not one. */
export function parseLine(line: string): IrcMessage | ChatError {
  let at = 0;
  const tags = new Map<string, string>();
  if (line.startsWith('@')) {
    const end = line.indexOf(' ');
    if (end < 0) return chatError('BAD_FRAME', 'a line with tags but no command');
    for (const tag of line.slice(1, end).split(';')) {
      if (tag === '') continue;
      const eq = tag.indexOf('=');
      tags.set(eq < 0 ? tag : tag.slice(0, eq), eq < 0 ? '' : unescapeTag(tag.slice(eq + 1)));
    }
    at = end + 1;
  }
  at = skipSpaces(line, at);
  let source: string | null = null;
  if (line[at] === ':') {
    const end = line.indexOf(' ', at);
    if (end < 0) return chatError('BAD_FRAME', 'a line with a source but no command');
    source = line.slice(at + 1, end);
    at = skipSpaces(line, end);
  }
  const end = line.indexOf(' ', at);
  const command = line.slice(at, end < 0 ? line.length : end);
  if (command === '') return chatError('BAD_FRAME', 'a line without a command');
  if (!COMMAND.test(command)) return chatError('BAD_FRAME', `"${command.slice(0, 32)}" is not an IRC command`);
  const params: string[] = [];
  at = end < 0 ? line.length : end;
  while (at < line.length) {
    at = skipSpaces(line, at);
    if (at >= line.length) break;
    if (line[at] === ':' || params.length === MAX_PARAMS - 1) {
      params.push(line.slice(line[at] === ':' ? at + 1 : at));
      break;
    }
    const next = line.indexOf(' ', at);
    params.push(line.slice(at, next < 0 ? line.length : next));
    at = next < 0 ? line.length : next;
  }
  return { tags, source, command: command.toUpperCase(), params };
}

function skipSpaces(line: string, at: number): number {
  while (line[at] === ' ') at++;
  return at;
}

function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => TAG_ESCAPES[c] ?? c);
}

/**
 * What may not appear in a parameter: CR, LF and NUL would end the line or cut it (a second line
 * injected on someone's connection); the other controls (CTCP's \x01, colours, the bell) are not
 * ours to send either: the one \x01 the server sends is a CTCP frame it makes itself (`textLines`
 * with `ctcp`, `ctcpLine`). Tabs are text.
 */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
const REPLACEMENT = '\ufffd';

/** Longest line the server sends, without its CR LF. */
const MAX_OUT = MAX_LINE - 2;

/**
 * One line of the server's, without its CR LF: `:source COMMAND p1 p2 :last`. Whatever the
 * parameters hold, the result is one line: controls become U+FFFD, a middle parameter cannot
 * hold a space or start with ":" (nicks and channels never do; anything else is mended), and the
 * last parameter is cut at a character boundary if the line would pass 512 bytes. The last
 * parameter has its ":" when it needs one (empty, a space, a leading ":").
 */
export function ircLine(source: string | null, command: string, ...params: string[]): string {
  const head = [source === null ? '' : `:${safe(source, true)} `, command].join('');
  if (params.length === 0) return head;
  const middle = params.slice(0, -1).map((p) => ` ${safe(p, true)}`).join('');
  const last = safe(params[params.length - 1]!, false);
  const start = `${head}${middle} ${last === '' || last.includes(' ') || last.startsWith(':') ? ':' : ''}`;
  return start + fit(last, MAX_OUT - Buffer.byteLength(start));
}

/** What `textLines` left out of a text to keep within its most lines. */
export interface TextCut {
  /**
   * Lines of the text not shown in full (empty ones not counted), the one cut within included;
   * null when more than COUNTED characters were left out (they are not counted, see there).
   */
  lines: number | null;
  /** Bytes of UTF-8 left out. */
  bytes: number;
  /** The last line shown was only the start of its line. */
  within: boolean;
}

/**
 * The most characters left out whose lines are counted. Counting is a loop over each character,
 * the one cost of a cut text that grows with its size: 64 KiB of it for every line of a history
 * page was most of the work of the page. Past this, only bytes are told (a native measure).
 */
const COUNTED = 4096;

/**
 * A chat line's text as the lines of one command (PRIVMSG, NOTICE) to `target`: one line per line
 * of the text (empty ones left out), each cut into pieces that fit 512 bytes with the command
 * around it, at character boundaries. Nothing becomes protocol, and nothing is lost but what
 * passes `max` lines: that is `cut`, null when all of it is there.
 *
 * A 64 KiB text of newlines is 32,767 lines; with a `max`, the work is that of the lines kept,
 * whatever the text holds.
 *
 * `tags`: IRCv3 tags before each line (outside the 512 bytes); `ctcp`: a CTCP verb (ACTION) that
 * frames each line as `\x01ACTION piece\x01`, so every line of a `/me` is one, as IRC clients send
 * a multi-line one. The frame is the only \x01 in the line: the text's own are mended.
 */
export function textLines(source: string, command: string, target: string, text: string, opts: { tags?: string; max?: number; ctcp?: string } = {}): { lines: string[]; cut: TextCut | null } {
  const { tags = '', max = Infinity } = opts;
  const open = opts.ctcp === undefined ? '' : `\u0001${opts.ctcp} `;
  const close = opts.ctcp === undefined ? '' : '\u0001';
  const start = `${tags}:${safe(source, true)} ${command} ${safe(target, true)} :${open}`;
  const budget = MAX_OUT - Buffer.byteLength(start) + Buffer.byteLength(tags) - close.length;
  const lines: string[] = [];
  for (let at = 0; at < text.length; ) {
    const end = lineEnd(text, at);
    const line = text.slice(at, end);
    if (line === '') {
      at = end + 1;
      continue;
    }
    const room = max - lines.length;
    // Only what there is room for is mended and cut, and one piece more, which tells whether the
    // line is cut within. A character is at least a byte: `room` pieces hold fewer characters.
    const most = room * budget + 1;
    const parts = pieces(safe(line.length > most ? line.slice(0, most) : line, false), budget, room + 1);
    const shown = parts.slice(0, room);
    for (const p of shown) lines.push(start + p + close);
    if (lines.length === max) {
      // Mending keeps each UTF-16 unit one unit: the pieces shown are as long as what they show.
      const within = parts.length > room;
      return { lines, cut: leftOut(text, within ? at + shown.join('').length : end + 1, within) };
    }
    at = end + 1;
  }
  return { lines, cut: null };
}

/**
 * One CTCP message in one line, `:source command target :\x01VERB arg\x01` (an answer to a CTCP
 * query is a NOTICE). `arg` is mended like any parameter and cut to fit; the frame is kept.
 */
export function ctcpLine(source: string, command: string, target: string, verb: string, arg = ''): string {
  const start = `:${safe(source, true)} ${command} ${safe(target, true)} :\u0001${verb}`;
  if (arg === '') return `${start}\u0001`;
  return `${start} ${fit(safe(arg, false), MAX_OUT - Buffer.byteLength(start) - 2)}\u0001`;
}

/** What is left out of `text` from `from` on; null when that is only newlines. */
function leftOut(text: string, from: number, within: boolean): TextCut | null {
  const counted = text.length - from <= COUNTED;
  const lines = counted ? countLines(text, from) : null;
  if (lines === 0 || (!counted && !/[^\n]/.test(text.slice(from)))) return null;
  return { lines, bytes: Buffer.byteLength(text.slice(from)), within };
}

/** Where the line of `text` starting at `at` ends: its "\n", or the end of the text. */
function lineEnd(text: string, at: number): number {
  const end = text.indexOf('\n', at);
  return end < 0 ? text.length : end;
}

/** The lines of `text` from `at` on that are not empty. */
function countLines(text: string, at: number): number {
  let n = 0;
  let inLine = false;
  for (let i = at; i < text.length; i++) {
    const newline = text.charCodeAt(i) === 10;
    if (!newline && !inLine) n++;
    inLine = !newline;
  }
  return n;
}

function safe(param: string, middle: boolean): string {
  const clean = param.replace(UNSAFE, REPLACEMENT);
  if (!middle) return clean;
  const word = clean.replace(/ /g, '_');
  return word === '' ? '*' : word.startsWith(':') ? `_${word.slice(1)}` : word;
}

/** `text` cut to at most `bytes` bytes of UTF-8, at a character boundary. */
function fit(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  return pieces(text, bytes, 1)[0] ?? '';
}

/** `text` in pieces of at most `bytes` bytes of UTF-8 each, cut between characters; the first `most` of them. */
function pieces(text: string, bytes: number, most = Infinity): string[] {
  if (Buffer.byteLength(text) <= bytes) return [text];
  const out: string[] = [];
  let begin = 0;
  let size = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const n = utf8Size(cp);
    if (size + n > bytes && i > begin) {
      out.push(text.slice(begin, i));
      if (out.length >= most) return out;
      begin = i;
      size = 0;
    }
    size += n;
    i += cp > 0xffff ? 2 : 1;
  }
  if (begin < text.length) out.push(text.slice(begin));
  return out;
}

/** Bytes of a code point in UTF-8 (a lone surrogate is sent as U+FFFD: 3). Buffer.byteLength of each character cost more than all else here. */
function utf8Size(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** The ASCII case mapping IRC clients are told (CASEMAPPING=ascii): A-Z are a-z, nothing else. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Why `name` cannot be the room's IRC channel, or null: `#`, then 1 to 49 characters, no spaces, commas, colons or controls. */
export function channelProblem(name: string): string | null {
  return /^#[^\s,:\u0000-\u001f\u007f]{1,49}$/u.test(name) ? null : 'use "#" and 1 to 49 characters without spaces, commas, colons or controls';
}
