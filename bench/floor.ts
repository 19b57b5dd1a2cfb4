/**
 * The floor: the least a Node relay must do to carry the bench's workload, built from the
 * project's own codec and nothing else. It answers any login with a login_ok (no accounts, no
 * bcrypt, no presence, no join notices), and fans every `say` out to everyone as a `msg` frame:
 * encoded once, queued per recipient, written once per recipient per event-loop turn, with
 * TCP_NODELAY. No rate limit, no logging. Whatever the real server costs beyond this is the
 * price of its features, and the bench reports it as the ratio real/floor.
 *
 * Run by the bench as its own process: `node dist/bench/floor.js [--port N]`.
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { FrameDecoder, encodeMessage, validate } from '../common/codec.js';
import { ChatError } from '../common/errors.js';
import { CLIENT_MESSAGES, PROTOCOL_VERSION, type ClientMessage, type ServerMessage } from '../common/protocol.js';

interface Peer {
  socket: net.Socket;
  decoder: FrameDecoder;
  name: string | null;
  out: Buffer[];
}

const peers = new Set<Peer>();
const dirty = new Set<Peer>();
let flushing = false;
/** Lines carry an id, as the real server's do (same header size). */
let lastId = 0;

const encode = (msg: ServerMessage): Buffer => encodeMessage(msg);

function queue(peer: Peer, frame: Buffer): void {
  peer.out.push(frame);
  dirty.add(peer);
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

function flush(): void {
  flushing = false;
  for (const p of dirty) {
    if (!p.socket.destroyed) p.socket.write(p.out.length === 1 ? p.out[0]! : Buffer.concat(p.out));
    p.out = [];
  }
  dirty.clear();
}

function receive(peer: Peer, chunk: Buffer): void {
  for (const { frame, error } of peer.decoder.push(chunk)) {
    if (error) return void peer.socket.destroy();
    const msg = validate<ClientMessage>(frame, CLIENT_MESSAGES);
    if (msg instanceof ChatError) continue;
    if (msg.type === 'login') {
      peer.name = msg.user;
      queue(peer, encode({ type: 'login_ok', user: msg.user, created: false, guest: false, online: [] }));
    } else if (msg.type === 'say' && peer.name !== null) {
      const line = encode({ type: 'msg', id: ++lastId, from: peer.name, ts: Date.now(), scope: 'group', text: msg.text });
      for (const p of peers) if (p.name !== null) queue(p, line);
    }
  }
}

/** Starts the relay; resolves with the bound port. */
function startFloor(host: string, port: number): Promise<net.Server> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    const peer: Peer = { socket, decoder: new FrameDecoder(), name: null, out: [] };
    peers.add(peer);
    socket.on('data', (chunk: Buffer) => receive(peer, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      peers.delete(peer);
      dirty.delete(peer);
    });
    queue(peer, encode({ type: 'hello', server: 'floor', version: PROTOCOL_VERSION, guests: false }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve(server));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--port');
  const port = at > 0 ? Number(process.argv[at + 1]) : 0;
  const server = await startFloor('127.0.0.1', port);
  const { address, port: bound } = server.address() as net.AddressInfo;
  process.stdout.write(`Floor relay listening on tcp://${address}:${bound}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
