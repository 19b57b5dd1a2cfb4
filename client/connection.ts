/**
 * The client's transport: a TCP or TLS socket, the shared frame codec, and the greeting check.
 * It knows nothing about logins; it turns bytes into typed server messages and typed client
 * messages into bytes, and explains connection failures in one line a user can act on.
 */
import net from 'node:net';
import tls from 'node:tls';
import { hostPort } from '../common/address.js';
import { FrameDecoder, encodeMessage, validate } from '../common/codec.js';
import { ChatError } from '../common/errors.js';
import { socketErrorWords } from '../common/socket-error.js';
import { SERVER_MESSAGES, type ClientMessage, type ServerMessage } from '../common/protocol.js';
import { numberProblem } from './bounds.js';
import { safeLine } from './format.js';

/** Where to connect and how. */
export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
  ca?: Buffer;
}

/** A connection that failed in a way the user should read about, in one line. */
export class ConnectError extends Error {
  override name = 'ConnectError';
}

export interface LinkHandlers {
  message(m: ServerMessage): void;
  /** The connection is gone; `reason` says why (for the user). */
  close(reason: string): void;
}

/** The server sends at most this much in one frame (its bodies are capped far lower). */
const MAX_BODY = 1 << 20;
const CONNECT_TIMEOUT_MS = 10_000;
/** A chat server greets at once; a TLS server waits for us. Past this, check whether it is TLS. */
const TLS_SUSPICION_MS = 500;
const GREETING_TIMEOUT_MS = 10_000;

/**
 * One open connection to the server. Messages that arrive before `listen` is called are kept, so
 * nothing sent in the same packet as a reply we were waiting for is lost.
 */
export class Link {
  private handlers: LinkHandlers | null = null;
  private readonly queued: ServerMessage[] = [];
  private closedWhy: string | null = null;
  private readonly decoder = new FrameDecoder(MAX_BODY);
  /** The server's IP address, as the host name resolved for this connection (heartbeats go there). */
  readonly remoteAddress: string;
  /** The server's greeting (set by connect()): its name, version and limits. */
  hello: ServerMessage<'hello'> | null = null;

  constructor(private readonly socket: net.Socket) {
    // Read while connected: a closed socket no longer knows it.
    this.remoteAddress = socket.remoteAddress ?? '';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (e: NodeJS.ErrnoException) => this.closed(socketErrorWords(e, 'server')));
    // Our own closes go through destroy(), and an error is reported first: this is the server's.
    socket.on('close', () => this.closed('closed by the server'));
  }

  get open(): boolean {
    return this.closedWhy === null;
  }

  /** Starts (or redirects) delivery; anything queued is delivered first, then a close if one came. */
  listen(handlers: LinkHandlers): void {
    this.handlers = handlers;
    while (this.queued.length > 0 && this.handlers === handlers) handlers.message(this.queued.shift()!);
    if (this.closedWhy !== null && this.handlers === handlers) handlers.close(this.closedWhy);
  }

  /** Sends a message; false when the connection is already gone. */
  send(m: ClientMessage): boolean {
    if (!this.open) return false;
    this.socket.write(encodeMessage(m));
    return true;
  }

  /** Stops reading from the server (the screen is behind); the server holds what it sends meanwhile. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.socket.destroy();
    this.closed('closed by the client');
  }

  private receive(chunk: Buffer): void {
    for (const { frame, error } of this.decoder.push(chunk)) {
      if (error) {
        // The stream is out of step: nothing after this can be read.
        this.socket.destroy();
        return this.closed(`the server sent a bad frame: ${error.message}`);
      }
      const m = validate<ServerMessage>(frame, SERVER_MESSAGES);
      // A message this client does not know (a newer server): skip it rather than give up.
      if (m instanceof ChatError) continue;
      // A number no server should send (a port of 0, a timeout past what a timer can wait).
      const problem = numberProblem(m);
      if (problem) {
        this.socket.destroy();
        return this.closed(`the server sent a bad ${m.type}: ${problem}`);
      }
      if (this.handlers) this.handlers.message(m);
      else this.queued.push(m);
    }
  }

  private closed(reason: string): void {
    if (this.closedWhy !== null) return;
    this.closedWhy = reason;
    this.handlers?.close(reason);
  }

  /** Waits for the first message (or the close), at most `ms`. */
  first(ms: number): Promise<ServerMessage | 'closed' | 'timeout'> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.handlers = null;
        resolve('timeout');
      }, ms);
      this.listen({
        message: (m) => {
          clearTimeout(t);
          this.handlers = null;
          resolve(m);
        },
        close: () => {
          clearTimeout(t);
          resolve('closed');
        },
      });
    });
  }
}

/**
 * Connects and waits for the server's hello. Rejects with a ConnectError whose message is the
 * one line to show: refused, unknown host, TLS on one side only, untrusted certificate.
 */
export async function connect(ep: Endpoint): Promise<Link> {
  const link = new Link(await openSocket(ep));
  let first = await link.first(ep.tls ? GREETING_TIMEOUT_MS : TLS_SUSPICION_MS);
  if (first === 'timeout' || first === 'closed') {
    // Silence, or a hang-up after silence, is what a TLS server does to a plaintext client.
    if (!ep.tls && (await speaksTls(ep))) {
      link.destroy();
      throw new ConnectError('server is speaking TLS; add --tls (and --ca FILE for a self-signed certificate)');
    }
    if (first === 'timeout') first = await link.first(GREETING_TIMEOUT_MS - TLS_SUSPICION_MS);
  }
  if (first === 'closed') throw new ConnectError(`${hostPort(ep.host, ep.port)} closed the connection without a greeting`);
  if (first !== 'timeout' && first.type === 'error') {
    // Refused before the greeting: too many connections, from here or in all.
    link.destroy();
    throw new ConnectError(`${hostPort(ep.host, ep.port)} refused the connection: ${safeLine(first.message)}`);
  }
  if (first === 'timeout' || first.type !== 'hello') {
    link.destroy();
    throw new ConnectError(`${hostPort(ep.host, ep.port)} does not greet like a chat server (wrong port?)`);
  }
  link.hello = first;
  return link;
}


function openSocket(ep: Endpoint): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = ep.tls
      ? tls.connect({
          host: ep.host,
          port: ep.port,
          ...(ep.ca ? { ca: [...tls.rootCertificates, ep.ca.toString()] } : {}),
          // SNI takes host names only, never IP addresses.
          ...(net.isIP(ep.host) ? {} : { servername: ep.host }),
        })
      : net.connect({ host: ep.host, port: ep.port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new ConnectError(why));
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => fail(`cannot connect to ${hostPort(ep.host, ep.port)}: timed out`));
    socket.once('error', (e: NodeJS.ErrnoException) => fail(explain(e, ep)));
    socket.once(ep.tls ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

/** A second, throw-away connection: does a TLS handshake succeed on this port? */
function speaksTls(ep: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = tls.connect({ host: ep.host, port: ep.port, rejectUnauthorized: false });
    const done = (yes: boolean) => {
      probe.destroy();
      resolve(yes);
    };
    probe.setTimeout(2000, () => done(false));
    probe.once('secureConnect', () => done(true));
    probe.once('error', () => done(false));
  });
}

/** Codes OpenSSL reports when the other side is not speaking TLS at all. */
const NOT_TLS = /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|RECORD_LAYER|HTTP_REQUEST/;
/** Codes of certificates that do not check out. */
const BAD_CERT = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** Turns a connect-time socket error into the line a user needs. */
export function explain(e: NodeJS.ErrnoException & { cert?: { subjectaltname?: string } }, ep: Endpoint): string {
  const code = e.code ?? '';
  if (NOT_TLS.test(code)) return 'server does not speak TLS; drop --tls';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    // Trusted, but for other names: another --ca cannot help, the right --host can.
    const names = e.cert?.subjectaltname?.replace(/DNS:|IP Address:/g, '');
    const listed = names ? `it is for ${names}` : 'it is for other names';
    return `the TLS certificate of ${hostPort(ep.host, ep.port)} does not name ${ep.host} (${listed}); connect with --host set to a name it lists`;
  }
  if (BAD_CERT.test(code)) {
    if (ep.ca) {
      return `the TLS certificate of ${hostPort(ep.host, ep.port)} is not trusted (${e.message}), even with --ca: the file holds neither the server's certificate nor the one that signed it`;
    }
    return `the TLS certificate of ${hostPort(ep.host, ep.port)} is not trusted (${e.message}); pass --ca FILE to trust a self-signed certificate`;
  }
  return `cannot connect to ${hostPort(ep.host, ep.port)}: ${socketErrorWords(e, 'server')}`;
}
