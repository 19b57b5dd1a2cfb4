/**
 * A lean protocol client for the soak: it counts what it receives instead of keeping it (a soak
 * runs for minutes), remembers the chat ids it saw, and answers one request at a time.
 */
import net from 'node:net';
import { FrameDecoder, encodeMessage, validate } from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { SERVER_MESSAGES, type ClientMessage, type ServerMessage } from '../../common/protocol.js';
import type { Tally } from './tally.js';

type Pred = (m: ServerMessage) => boolean;

export class SoakClient {
  closed = false;
  /** Called for each group line received (its `#n` id and sender); witnesses and senders listen. */
  onChat: ((id: number, from: string) => void) | null = null;
  me: ServerMessage<'login_ok'> | null = null;
  private readonly decoder = new FrameDecoder(1 << 20);
  private waiter: { pred: Pred; resolve: (m: ServerMessage | null) => void } | null = null;
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(
    readonly socket: net.Socket,
    private readonly tally: Tally,
  ) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.resolve(null);
      this.waiter = null;
      this.closeWaiters.splice(0).forEach((f) => f());
    });
    socket.on('error', () => {});
  }

  static connect(port: number, tally: Tally, localAddress?: string): Promise<SoakClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) }, () =>
        resolve(new SoakClient(s, tally)),
      );
      s.once('error', reject);
    });
  }

  send(msg: ClientMessage): void {
    if (!this.closed) this.socket.write(encodeMessage(msg));
  }

  /** Sends and resolves with the first matching reply, or null if the connection closes or `ms` pass. */
  request(msg: ClientMessage, pred: Pred, ms = 10_000): Promise<ServerMessage | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiter = null;
        this.tally.count('timeouts', String(msg.type));
        resolve(null);
      }, ms);
      this.waiter = {
        pred,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      this.send(msg);
    });
  }

  async login(user: string, password: string): Promise<ServerMessage | null> {
    const reply = await this.request({ type: 'login', user, password }, (m) => m.type === 'login_ok' || m.type === 'error');
    if (reply?.type === 'login_ok') this.me = reply;
    return reply;
  }

  /** A `who` round trip: everything the server sent before it has arrived afterwards. */
  async sync(): Promise<boolean> {
    const reply = await this.request({ type: 'who' }, (m) => m.type === 'who' || (m.type === 'error' && m.code === 'NOT_LOGGED_IN'));
    return reply !== null;
  }

  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((r) => this.closeWaiters.push(r));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    for (const { frame, error } of this.decoder.push(chunk)) {
      if (error) {
        this.tally.count('client decode errors', error.code);
        this.socket.destroy();
        return;
      }
      const msg = validate<ServerMessage>(frame, SERVER_MESSAGES);
      if (msg instanceof ChatError) {
        this.tally.count('client decode errors', msg.code);
        continue;
      }
      if (msg.type === 'msg') {
        this.tally.received++;
        const id = /^#(\d+) /.exec(msg.text);
        if (id && msg.scope === 'group') this.onChat?.(Number(id[1]), msg.from);
      } else if (msg.type === 'error') {
        this.tally.count('errors', msg.code);
      }
      if (this.waiter?.pred(msg)) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve(msg);
      }
    }
  }
}
