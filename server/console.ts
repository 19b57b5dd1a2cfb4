/**
 * The operator's console on the server's stdin (seeds 000, 002, 003). It prints the online list
 * whenever it changes and answers:
 *   online             who is online, with the age of each one's last heartbeat
 *   stats              active users, total connections, messages, datagrams
 *   Terminate server   graceful shutdown (so do SIGINT and SIGTERM)
 *   help               this list
 * The end of stdin is not a command: a server started with no terminal keeps running.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ChatServer } from './server.js';

export const CONSOLE_HELP = 'Console commands: online, stats, Terminate server, help';

export function attachConsole(server: ChatServer, input: Readable, output: { write(text: string): void }, terminate: () => void): void {
  const print = (line: string) => output.write(`${line}\n`);
  server.room.on('online', (names: readonly string[]) => print(onlineLine(names)));
  const rl = createInterface({ input, terminal: false });
  rl.on('line', (raw) => {
    const line = raw.trim();
    if (line === '') return;
    const answer = consoleCommand(server, line);
    if (answer === null) return terminate();
    print(answer);
  });
}

/** "Online users (3): alice, bob, carol", naming at most the first 50. */
export function onlineLine(names: readonly string[], most = 50): string {
  const shown = names.slice(0, most).join(', ') || '(none)';
  const more = names.length > most ? ` and ${names.length - most} more` : '';
  return `Online users (${names.length}): ${shown}${more}`;
}

/** The console's answer to one line, or null for "Terminate server". */
export function consoleCommand(server: ChatServer, line: string): string | null {
  const { room, counters } = server;
  switch (line.toLowerCase()) {
    case 'terminate server':
      return null;
    case 'online': {
      const now = room.clock.monotonic();
      // In the order of /who and the online line.
      const rows = room
        .online()
        .map((name) => room.find(name)!)
        .map((s) => {
          const age = ((now - (room.presence.seen(s) ?? now)) / 1000).toFixed(1);
          return `  ${s.name}${s.guest ? ' (guest)' : ''}: last heartbeat ${age} s ago${s.state === 'attached' ? '' : ', connection lost'}`;
        });
      return [`Online users (${rows.length}):`, ...rows].join('\n');
    }
    case 'stats': {
      const { connections, messages, datagramsAccepted, datagramsDropped } = counters;
      const drops = Object.entries(datagramsDropped).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
      return (
        `Active users: ${room.count} | Open connections: ${server.connections} | Total connections: ${connections} | ` +
        `Total messages: ${messages} | Datagrams accepted: ${datagramsAccepted}, dropped: ${drops}`
      );
    }
    case 'help':
      return CONSOLE_HELP;
    default:
      return `Unknown console command "${line}". ${CONSOLE_HELP}`;
  }
}
