/**
 * The operator's console on the server's stdin (seeds 000, 002, 003). It prints the online list
 * whenever it changes and answers:
 *   online                 who is online, with the age of each one's last heartbeat
 *   stats                  active users, total connections, messages, datagrams
 *   kick NAME [reason]     removes a user: told why, logged out, and the client does not come back
 *   mute NAME SECONDS      mutes a user (0 lifts it); logging in again does not shed it
 *   wall TEXT              a notice from the operator to everyone online
 *   motd                   reads the --motd file again
 *   Terminate server       graceful shutdown (so do SIGINT and SIGTERM)
 *   help                   this list
 * kick, mute, wall, motd and Terminate server are logged (category "console"). The end of stdin
 * is not a command: a server started with no terminal keeps running; one whose terminal closes
 * stops gracefully.
 *
 * On a terminal the console has a prompt and readline's editing and history; output from the
 * server (log lines, online lists, answers) is printed above the prompt, and the typed command is
 * drawn again below it, intact (see process-output.ts). From a pipe there is no prompt and no echo.
 */
import { createInterface, type Interface } from 'node:readline';
import { Writable, type Readable } from 'node:stream';
import { fileProblem } from '../common/file-errors.js';
import { textProblem } from '../common/text.js';
import { MAX_OPERATOR_TEXT } from './chat/operator.js';
import { MotdError, readMotd } from './motd.js';
import { IrcConnection } from './net/irc/connection.js';
import type { Prompt } from './process-output.js';
import type { ChatServer } from './server.js';

export const CONSOLE_HELP = 'Console commands: online, stats, kick NAME [reason], mute NAME SECONDS, wall TEXT, motd, Terminate server, help';

export const PROMPT = 'chat-server> ';

/** Longest operator's mute: 30 days. */
const MAX_MUTE_SECONDS = 30 * 24 * 3600;

/** What the console needs of a terminal: somewhere readline can draw, and a way to keep the prompt below output. */
export interface ConsoleTerminal {
  /** Writes readline's drawing (prompt, echo) at once, in order with everything else. */
  raw(text: string): void;
  /** Keeps `prompt` below each batch of output (null: no prompt any more). */
  hold(prompt: Prompt | null): void;
  /** The terminal's width. */
  readonly columns: number;
  /** Calls `f` when the terminal is resized. */
  onResize(f: () => void): void;
}

export interface AttachedConsole {
  /** Stops reading commands and takes the prompt away (at shutdown). */
  close(): void;
}

/**
 * Reads commands from `input`, answers on `output`. With `terminal`, `input` is that terminal
 * (raw keys, a prompt, line editing); without, lines are read as they come (pipes, tests).
 */
export function attachConsole(
  server: ChatServer,
  input: Readable,
  output: { write(text: string): void },
  terminate: () => void,
  terminal?: ConsoleTerminal,
): AttachedConsole {
  const print = (line: string) => output.write(`${line}\n`);
  const log = server.log.for('console');
  server.room.on('online', (names: readonly string[]) => print(onlineLine(names)));
  const handle = (raw: string): void => {
    const line = raw.trim();
    if (line === '') return;
    const answer = consoleCommand(server, line);
    if (answer === null) {
      log.info('Console: Terminate server: stopping the server');
      return terminate();
    }
    print(answer);
  };
  if (!terminal) {
    const rl = createInterface({ input, terminal: false });
    rl.on('line', handle);
    // stdin that cannot be read (nohup opens it write-only): the server goes on without a console.
    rl.on('error', (e: NodeJS.ErrnoException) => {
      log.warn(`Console: cannot read standard input: ${fileProblem(e)}; no console commands (stop the server with SIGTERM)`);
      rl.close();
    });
    return { close: () => rl.close() };
  }
  let rl: Interface | null = null;
  let closing = false;
  const open = () => {
    const current = createInterface({ input, output: terminalStream(terminal), terminal: true, prompt: PROMPT, historySize: 200 });
    rl = current;
    terminal.hold({
      // To where the prompt starts (the typed line may wrap over several rows), then clear down.
      erase: () => {
        const { rows } = current.getCursorPos();
        return `${rows > 0 ? `\x1b[${rows}A` : ''}\r\x1b[J`;
      },
      // readline redraws from where it last left the cursor (its `prevRows`); after our output
      // the cursor is at the start of a fresh row, where the prompt now begins.
      redraw: () => {
        (current as unknown as { prevRows: number }).prevRows = 0;
        current.prompt(true);
      },
    });
    current.on('line', (raw) => {
      handle(raw);
      if (!closing) current.prompt();
    });
    // Ctrl-C at the console stops the server gracefully, as SIGINT does.
    current.on('SIGINT', () => {
      log.info('Console: Ctrl-C: stopping the server');
      terminate();
    });
    // The terminal is gone (closed, or its session hung up: reads fail with EIO). Nobody can
    // type "Terminate server" any more, so stop gracefully now, as a program in a terminal that
    // closes is expected to, rather than die at the next read.
    current.on('error', (e: NodeJS.ErrnoException) => {
      if (closing) return;
      log.warn(`Console: the terminal is gone (${fileProblem(e)}); stopping the server`);
      terminate();
    });
    // Ctrl-D on an empty line closes readline; the console stays (stopping takes "Terminate server").
    current.on('close', () => {
      if (closing || input.readableEnded) return terminal.hold(null);
      open();
    });
    current.prompt();
  };
  open();
  return {
    close: () => {
      if (closing) return;
      closing = true;
      terminal.hold(null);
      terminal.raw('\r\x1b[J');
      rl?.close();
    },
  };
}

/** The stream readline draws on: its writes go to the terminal at once, through the ordered output. */
function terminalStream(terminal: ConsoleTerminal): NodeJS.WritableStream {
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      terminal.raw(chunk.toString());
      done();
    },
  });
  Object.defineProperty(stream, 'columns', { get: () => terminal.columns });
  Object.defineProperty(stream, 'isTTY', { value: true });
  terminal.onResize(() => stream.emit('resize'));
  return stream;
}

/** "Online users (3): alice, bob, carol", naming at most the first 50. */
export function onlineLine(names: readonly string[], most = 50): string {
  const shown = names.slice(0, most).join(', ') || '(none)';
  const more = names.length > most ? ` and ${names.length - most} more` : '';
  return `Online users (${names.length}): ${shown}${more}`;
}

/** A command line: its first word (lower case) and the rest as typed. */
export function splitCommand(line: string): { word: string; rest: string } {
  const m = /^(\S+)\s*(.*)$/s.exec(line.trim());
  return m ? { word: m[1]!.toLowerCase(), rest: m[2]!.trim() } : { word: '', rest: '' };
}

/** The console's answer to one line, or null for "Terminate server". */
export function consoleCommand(server: ChatServer, line: string): string | null {
  const { room, counters } = server;
  if (line.trim().toLowerCase().replace(/\s+/g, ' ') === 'terminate server') return null;
  const { word, rest } = splitCommand(line);
  switch (word) {
    case 'online': {
      const now = room.clock.monotonic();
      // In the order of /who and the online line.
      const rows = room
        .online()
        .map((name) => room.find(name)!)
        .map((s) => {
          const lost = s.state === 'attached' ? '' : ', connection lost';
          // An IRC client sends no heartbeats: its answers to the server's PINGs stand for them.
          const irc = s.at instanceof IrcConnection;
          const who = `${s.name}${s.guest ? ' (guest)' : ''}${irc ? ' (IRC)' : ''}`;
          // A cluster: a user of another server is heard by that server, not this one.
          const where = server.cluster?.elsewhere(s);
          if (where) return `  ${who}: on ${where}${lost}`;
          const age = ((now - (room.presence.seen(s) ?? now)) / 1000).toFixed(1);
          return `  ${who}: last ${irc ? 'PONG' : 'heartbeat'} ${age} s ago${lost}`;
        });
      return [`Online users (${rows.length}):`, ...rows].join('\n');
    }
    case 'stats': {
      const { connections, messages, datagramsAccepted, datagramsDropped } = counters;
      const drops = Object.entries(datagramsDropped).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
      return (
        `Active users: ${room.count} | Open connections: ${server.connections} | Total connections: ${connections} | ` +
        `Total messages: ${messages} | Datagrams accepted: ${datagramsAccepted}, dropped: ${drops}` +
        (server.cluster ? ` | Servers in the cluster: ${server.cluster.servers} (connections and messages: this one's)` : '')
      );
    }
    case 'kick':
    case 'mute':
    case 'wall':
    case 'motd': {
      const answer = operatorCommand(server, word, rest);
      if (answer.done) server.log.for('console').info(`Console: ${answer.text}`);
      return answer.text;
    }
    case 'help':
      return CONSOLE_HELP;
    default:
      return `Unknown console command "${line.trim()}". ${CONSOLE_HELP}`;
  }
}

/** kick, mute, wall and motd: the answer, and whether something was done (then it is logged). */
function operatorCommand(server: ChatServer, word: 'kick' | 'mute' | 'wall' | 'motd', rest: string): { text: string; done: boolean } {
  const { room, operator } = server;
  const no = (text: string) => ({ text, done: false });
  const textIssue = (text: string) =>
    text.length > MAX_OPERATOR_TEXT ? `is too long (${text.length} characters, at most ${MAX_OPERATOR_TEXT})` : textProblem(text);
  switch (word) {
    case 'kick': {
      const m = /^(\S+)\s*(.*)$/s.exec(rest);
      if (!m) return no('Usage: kick NAME [reason]');
      const [, name, why] = m as unknown as [string, string, string];
      const who = room.find(name);
      if (!who) return no(`${name} is not online`);
      const issue = why === '' ? null : textIssue(why);
      if (issue) return no(`The reason ${issue}`);
      // Applied at once on one server; on a cluster, once the other servers have it too.
      Promise.resolve(operator.kick(who, why)).catch((e: Error) => server.log.for('console').warn(`Console: kick of ${who.name} failed: ${e.message}`));
      return { text: `Kicked ${who.name}${why ? `: ${why}` : ''}`, done: true };
    }
    case 'mute': {
      const [name, seconds, extra] = rest.split(/\s+/);
      if (!name || !seconds || extra !== undefined || !/^\d+$/.test(seconds)) return no('Usage: mute NAME SECONDS (0 lifts the mute)');
      const s = Number(seconds);
      if (s > MAX_MUTE_SECONDS) return no(`Mute for at most ${MAX_MUTE_SECONDS} s (30 days)`);
      const who = room.find(name);
      if (!who) return no(`${name} is not online`);
      Promise.resolve(operator.mute(who, s)).catch((e: Error) => server.log.for('console').warn(`Console: mute of ${who.name} failed: ${e.message}`));
      return { text: s === 0 ? `Lifted the operator's mute of ${who.name}` : `Muted ${who.name} for ${s} s`, done: true };
    }
    case 'wall': {
      if (rest === '') return no('Usage: wall TEXT');
      const issue = textIssue(rest);
      if (issue) return no(`The text ${issue}`);
      const n = room.count;
      Promise.resolve(operator.wall(rest)).catch((e: Error) => server.log.for('console').warn(`Console: wall failed: ${e.message}`));
      return { text: `Told ${n} user${n === 1 ? '' : 's'}: ${JSON.stringify(rest)}`, done: true };
    }
    case 'motd': {
      const path = server.config.motd;
      if (!path) return no('No message of the day: the server was started without --motd');
      try {
        room.motd = readMotd(path);
      } catch (e) {
        if (!(e instanceof MotdError)) throw e;
        return { text: `Message of the day not reloaded: ${e.message}; the old one stays`, done: true };
      }
      const n = room.motd?.length ?? 0;
      return { text: room.motd === null ? `Message of the day reloaded from ${path}: empty, none is shown` : `Message of the day reloaded from ${path} (${n} characters)`, done: true };
    }
  }
}
