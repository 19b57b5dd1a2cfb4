/**
 * A stand-in chat server on 127.0.0.1 port 0 for client specs that need a server to misbehave:
 * it greets like the real one, then hands every client message to the test, which answers
 * whatever it likes (a login_ok with nonsense in it, nothing at all, a flood).
 */
import net from 'node:net';
import { FrameDecoder, encodeMessage, validate } from '../../common/codec.js';
import { ChatError } from '../../common/errors.js';
import { CLIENT_MESSAGES, type ClientMessage, type ServerMessage } from '../../common/protocol.js';

export type Handler = (socket: net.Socket, m: ClientMessage) => void;

const HELLO: ServerMessage<'hello'> = { type: 'hello', server: 'fake', version: '1', guests: false };

/** A login_ok a real server could send, with `fields` changed. */
export function loginOk(fields: Partial<ServerMessage<'login_ok'>> = {}): ServerMessage<'login_ok'> {
  return {
    type: 'login_ok', user: 'alice', created: false, guest: false, online: ['alice'], count: 1, udpPort: 9,
    session: 'fake-session', secret: Buffer.alloc(32).toString('base64'), token: 'fake-token', timeout: 20, ...fields,
  };
}

export class FakeServer {
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    /** The connections, in order. */
    readonly sockets: net.Socket[],
  ) {}

  static async start(handler: Handler): Promise<FakeServer> {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
      socket.write(encodeMessage(HELLO));
      const decoder = new FrameDecoder(1 << 20);
      socket.on('data', (chunk) => {
        for (const { frame, error } of decoder.push(chunk)) {
          if (error) return void socket.destroy();
          const m = validate<ClientMessage>(frame, CLIENT_MESSAGES);
          if (!(m instanceof ChatError)) handler(socket, m);
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new FakeServer(server, (server.address() as net.AddressInfo).port, sockets);
  }

  static send(socket: net.Socket, m: ServerMessage): void {
    socket.write(encodeMessage(m));
  }

  async close(): Promise<void> {
    this.sockets.forEach((s) => s.destroy());
    await new Promise((r) => this.server.close(r));
  }
}

/**
 * Writes chat lines to `socket` as fast as the client takes them (waiting for 'drain' whenever
 * the socket's buffer is full), `total` bytes at most. Resolves once they are all delivered, or
 * once the client has taken nothing for `quietMs` while more was waiting: it stopped reading.
 */
export function flood(socket: net.Socket, total: number, quietMs = 500): Promise<{ stalled: boolean; delivered: number }> {
  const frame = encodeMessage({ type: 'msg', id: 1, from: 'bob', ts: Date.now(), scope: 'group', text: 'x'.repeat(1000) } as ServerMessage);
  const batch = Buffer.concat(Array.from({ length: 64 }, () => frame));
  return new Promise((resolve) => {
    let last = -1;
    const watch = setInterval(() => {
      const now = delivered(socket);
      if (now === last && socket.writableLength > 0) finish(true);
      last = now;
    }, quietMs);
    const finish = (stalled: boolean) => {
      clearInterval(watch);
      socket.off('drain', pump);
      resolve({ stalled, delivered: delivered(socket) });
    };
    function pump(): void {
      while (socket.bytesWritten < total && !socket.destroyed) {
        if (!socket.write(batch)) return;
      }
      if (delivered(socket) >= total || socket.destroyed) finish(false);
    }
    socket.on('drain', pump);
    pump();
  });
}

/** Bytes the kernel has taken from `socket` (written, and no longer waiting in this process). */
export function delivered(socket: net.Socket): number {
  return socket.bytesWritten - socket.writableLength;
}
