/**
 * A small IRC client for the specs: raw lines over real TCP, everything received recorded and
 * parsed just enough to match on (its own few lines of parsing, not the server's parser), and
 * waits that are bounded and event-driven (no sleeps).
 */
import net from 'node:net';

export interface Line {
  raw: string;
  source: string | null;
  /** The nick of the source (`alice` of `alice!alice@tinychat`), or the server's name. */
  nick: string | null;
  command: string;
  params: string[];
}

type Predicate = (l: Line) => boolean;

/** `[:source] COMMAND params [:trailing]`. */
export function parse(raw: string): Line {
  let rest = raw;
  let source: string | null = null;
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    source = rest.slice(1, sp);
    rest = rest.slice(sp + 1);
  }
  const colon = rest.indexOf(' :');
  const trailing = colon < 0 ? null : rest.slice(colon + 2);
  const words = (colon < 0 ? rest : rest.slice(0, colon)).split(' ').filter((w) => w !== '');
  const command = words.shift() ?? '';
  return { raw, source, nick: source?.split('!')[0] ?? null, command, params: trailing === null ? words : [...words, trailing] };
}

export class IrcClient {
  readonly lines: Line[] = [];
  /** Bytes received (for what is not a line, or to check nothing was cut). */
  received = Buffer.alloc(0);
  closed = false;
  /** Answer the server's PING by itself (off: to let presence time out). */
  autoPong = true;
  private pending = '';
  private cursor = 0;
  private syncs = 0;
  private readonly waiters: { pred: Predicate; resolve: (l: Line) => void; reject: (e: Error) => void }[] = [];
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      const text = this.pending + chunk.toString('utf8');
      const parts = text.split('\r\n');
      this.pending = parts.pop()!;
      for (const raw of parts) {
        const line = parse(raw);
        this.lines.push(line);
        if (line.command === 'PING' && this.autoPong) this.send(`PONG :${line.params[0] ?? ''}`);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.closeWaiters.splice(0).forEach((f) => f());
      for (const w of this.waiters.splice(0)) w.reject(new Error(`connection closed while waiting; got ${this.tail()}`));
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<IrcClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new IrcClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects and registers with PASS (none for ''), NICK and USER; resolves once the names list has come (366). */
  static async register(port: number, nick: string, password = 'pw'): Promise<IrcClient> {
    const c = await IrcClient.connect(port);
    c.send(...(password === '' ? [] : [`PASS ${password}`]), `NICK ${nick}`, `USER ${nick} 0 * :${nick}`);
    const last = await c.next((l) => l.command === '366' || l.command === 'ERROR' || /^4\d\d$/.test(l.command));
    if (last.command !== '366') throw new Error(`registration of ${nick} failed: ${last.raw}`);
    return c;
  }

  /** Lines, each ended with CR LF, in one write. */
  send(...lines: string[]): void {
    this.socket.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  raw(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next not-yet-consumed line that matches (earlier ones are skipped). */
  next(pred: Predicate = () => true, timeoutMs = 8000): Promise<Line> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting; got ${this.tail()}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.wake();
    });
  }

  /** The next line with this command (and, if given, whose last parameter matches). */
  expect(command: string, text?: RegExp): Promise<Line> {
    return this.next((l) => l.command === command && (text === undefined || text.test(l.params.at(-1) ?? '')));
  }

  /**
   * A round trip: the server answers PING after everything sent before it has been handled, so
   * whatever it sent in reply is here afterwards. Used to assert that something did NOT arrive.
   */
  async sync(): Promise<void> {
    const token = `sync-${++this.syncs}`;
    this.send(`PING :${token}`);
    await this.next((l) => l.command === 'PONG' && l.params.at(-1) === token);
  }

  /** Lines received so far with this command. */
  all(command: string): Line[] {
    return this.lines.filter((l) => l.command === command);
  }

  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((r) => this.closeWaiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }

  private tail(): string {
    return JSON.stringify(this.lines.slice(this.cursor).map((l) => l.raw));
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      let found = -1;
      for (let i = this.cursor; i < this.lines.length; i++) {
        if (w.pred(this.lines[i]!)) {
          found = i;
          break;
        }
      }
      if (found < 0) return;
      this.cursor = found + 1;
      this.waiters.shift();
      w.resolve(this.lines[found]!);
    }
  }
}
