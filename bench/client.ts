/**
 * One simulated user in a load-generator worker: a TCP connection speaking the real protocol
 * through the project's codec, a login, and the receiving side of the measurement (count every
 * chat line, check each sender's order, record latency). Counters live in a shared Tally per
 * worker so that ten thousand idle clients cost little memory each.
 *
 * A worker's clients share one memoised header parse: each broadcast reaches all of them with the same
 * header bytes, and parsing that JSON once per worker instead of once per client cut the load
 * generator's CPU per delivery by about a third, so that the server, not the load generator, is
 * what the figures measure. Every frame is still framed, validated and counted per client.
 */
import net from 'node:net';
import { FrameDecoder, encodeMessage, validate, type Frame } from '../common/codec.js';
import { ChatError } from '../common/errors.js';
import { SERVER_MESSAGES, type ClientMessage, type ServerMessage } from '../common/protocol.js';
import { memoJson } from './header-memo.js';
import type { ClientSpec } from './ipc.js';
import { Histogram } from './stats.js';

/** System-wide monotonic clock in ns (CLOCK_MONOTONIC on Linux), comparable across processes. */
export const nowNs = (): number => Number(process.hrtime.bigint());

/** The body of a measured chat line: who sent it, its number from that sender, when. */
export function seqText(sender: number, n: number, sentNs: number): string {
  return `seq:${sender}:${n}:${sentNs}`;
}

/** What a worker's clients have seen, summed over all of them. */
export class Tally {
  received = 0;
  outOfOrder = 0;
  readonly latencyUs = new Histogram();
  lastRecvNs = 0;
  bytesIn = 0;
  /** Socket reads: with `received`, how well the server batched its writes. */
  reads = 0;
  readonly closed: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  readonly notices: Record<string, number> = {};
  /** Called when a sender's own line comes back to it (closed-loop sending tops up on this). */
  onEcho: (sender: number) => void = () => {};

  count(table: Record<string, number>, key: string): void {
    table[key] = (table[key] ?? 0) + 1;
  }
}

type LoginOk = ServerMessage<'login_ok'>;

const parseHeader = memoJson();

/**
 * What every simulated user does whatever the protocol: connect, log in within a deadline, send
 * lines, count the measured lines it receives (order per sender, latency), and note how its
 * connection ended. A subclass speaks the protocol: `greet` on connect, `receive` for each chunk.
 */
export abstract class LoadClient {
  /** Whether a sender receives its own lines back (ours: yes; IRC: no). */
  abstract readonly echoes: boolean;
  protected socket: net.Socket | null = null;
  /** Next expected number from each sender (per-sender order check). */
  private readonly expect: Int32Array;
  /** Ends the login: null when logged in, else why not. Set while a login is under way. */
  protected settle: ((error: string | null) => void) | null = null;
  private loggedIn = false;

  constructor(
    readonly spec: ClientSpec,
    senders: number,
    protected readonly tally: Tally,
  ) {
    this.expect = new Int32Array(spec.role === 'chat' ? senders : 0);
  }

  get open(): boolean {
    return this.socket !== null && !this.socket.destroyed;
  }

  /** Connects and logs in; resolves with the milliseconds it took, rejects with a reason. */
  login(host: string, port: number, timeoutSeconds: number): Promise<number> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle?.('timeout'), timeoutSeconds * 1000);
      this.settle = (error) => {
        this.settle = null;
        clearTimeout(timer);
        if (error === null) {
          this.loggedIn = true;
          return resolve(performance.now() - started);
        }
        this.socket?.destroy();
        reject(new Error(error));
      };
      const socket = net.connect({ host, port, noDelay: true });
      this.socket = socket;
      socket.on('connect', () => this.greet(socket));
      socket.on('data', (chunk: Buffer) => {
        // One timestamp per chunk: every line in it reached us at the same moment.
        const now = nowNs();
        this.tally.bytesIn += chunk.length;
        this.tally.reads++;
        this.receive(chunk, now);
      });
      socket.on('error', (e: NodeJS.ErrnoException) => this.lost(e.code ?? e.message));
      socket.on('close', () => this.lost('closed by server'));
    });
  }

  abstract say(text: string): void;

  destroy(): void {
    this.socket?.removeAllListeners('close');
    this.socket?.destroy();
  }

  /** Sends the login on a fresh connection. */
  protected abstract greet(socket: net.Socket): void;

  protected abstract receive(chunk: Buffer, now: number): void;

  protected lost(reason: string): void {
    if (this.settle) return this.settle(reason);
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    if (this.loggedIn && this.socket) {
      this.tally.count(this.tally.closed, reason);
      this.socket = null;
    }
  }

  /** A chat line `seq:<sender>:<n>:<sentNs>`: count it, check order, record its latency. */
  protected line(text: string, now: number): void {
    if (this.spec.role !== 'chat' || !text.startsWith('seq:')) return;
    const a = text.indexOf(':', 4);
    const b = text.indexOf(':', a + 1);
    const sender = Number(text.slice(4, a));
    const n = Number(text.slice(a + 1, b));
    const sentNs = Number(text.slice(b + 1));
    const t = this.tally;
    t.received++;
    t.lastRecvNs = now;
    t.latencyUs.record((now - sentNs) / 1000);
    const expected = this.expect[sender];
    if (expected === undefined) return t.count(t.errors, 'line from an unknown sender');
    if (n !== expected) t.outOfOrder++;
    if (n >= expected) this.expect[sender] = n + 1;
    if (sender === this.spec.sender) t.onEcho(sender);
  }
}

/** A user of our server, through the project's codec. */
export class BenchClient extends LoadClient {
  readonly echoes = true;
  /** login_ok, once logged in: carries the heartbeat session, secret and UDP port. */
  me: LoginOk | null = null;
  private readonly decoder = new FrameDecoder(1 << 20, parseHeader);

  say(text: string): void {
    const say: ClientMessage<'say'> = { type: 'say', text };
    this.socket?.write(encodeMessage(say));
  }

  protected greet(socket: net.Socket): void {
    const login: ClientMessage<'login'> = { type: 'login', user: this.spec.name, password: this.spec.password };
    socket.write(encodeMessage(login));
  }

  protected receive(chunk: Buffer, now: number): void {
    for (const { frame, error } of this.decoder.push(chunk)) {
      if (error) {
        this.tally.count(this.tally.errors, `undecodable frame: ${error.code}`);
        return this.lost('undecodable frame');
      }
      this.frame(frame, now);
    }
  }

  private frame(frame: Frame, now: number): void {
    const type = frame.header.type;
    // The join notices carry the whole online list: counting them is enough, and validating
    // every name of every one would make the load generator the bottleneck at thousands of users.
    if (type === 'notice') return this.tally.count(this.tally.notices, String(frame.header.event));
    if (type === 'hello' || type === 'who') return;
    // Storm users are in the room and get every line, but they are not what is measured.
    if (type === 'msg' && this.spec.role !== 'chat') return;
    const msg = validate<ServerMessage>(frame, SERVER_MESSAGES);
    if (msg instanceof ChatError) return this.tally.count(this.tally.errors, `invalid ${String(type)}: ${msg.message}`);
    switch (msg.type) {
      case 'msg':
        return this.line(msg.text, now);
      case 'login_ok':
        this.me = msg;
        return this.settle?.(null);
      case 'error':
        if (this.settle) return this.settle(msg.code);
        return this.tally.count(this.tally.errors, msg.code);
      case 'bye':
        return this.tally.count(this.tally.errors, `bye: ${msg.message}`);
      default:
        return;
    }
  }
}
