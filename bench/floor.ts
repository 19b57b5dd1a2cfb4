/**
 * The floor: the least a Node relay must do to carry the bench's workload, built from the
 * project's own codec and nothing else. Without `--db` it answers any login with a login_ok (no
 * accounts, no bcrypt, no presence, no join notices), and fans every `say` out to everyone as a
 * `msg` frame: encoded once, queued per recipient, written once per recipient per event-loop
 * turn, with TCP_NODELAY. No rate limit, no logging. Whatever the real server costs beyond this
 * is the price of its features, and the bench reports it as the ratio real/floor.
 *
 * With `--db FILE` it is the hashing floor: the least a Node server must do to log someone in
 * with a password. It checks each login's password against the users file's hash on the
 * server's own hasher (server/store/hasher.ts: worker threads, the same jobs, skipped as there
 * when the connection has closed), hashes the password of a name it does not know (a
 * registration, kept in memory only), and answers once the hash thread has. It leaves out the
 * server's other guards (a name registered twice at once, passwords over 72 bytes, the login
 * gate): the bench's names are all different. The connect scenario measures it beside the
 * server: a login costs this much in any Node server that checks bcryptjs passwords off the
 * event loop.
 *
 * Run by the bench as its own process: `node dist/bench/floor.js [--port N] [--db FILE
 * --hash-cost C --hash-threads T]`.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { createHasher, type Hasher } from '../server/store/hasher.js';
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
      if (passwords) void checked(peer, msg, passwords);
      else loggedIn(peer, msg.user, false);
    } else if (msg.type === 'say' && peer.name !== null) {
      const line = encode({ type: 'msg', id: ++lastId, from: peer.name, ts: Date.now(), scope: 'group', text: msg.text });
      for (const p of peers) if (p.name !== null) queue(p, line);
    }
  }
}

function loggedIn(peer: Peer, user: string, created: boolean): void {
  peer.name = user;
  queue(peer, encode({ type: 'login_ok', user, created, guest: false, online: [] }));
}

/** The hashing floor's accounts and hasher (null: any login is let in). */
interface Passwords {
  hasher: Hasher;
  cost: number;
  hashes: Map<string, string>;
}
let passwords: Passwords | null = null;

/** The hashing floor's login: a compare for an account, a hash for a new name (a registration). */
async function checked(peer: Peer, msg: ClientMessage<'login'>, { hasher, cost, hashes }: Passwords): Promise<void> {
  const known = hashes.get(msg.user);
  const wanted = () => !peer.socket.destroyed;
  try {
    if (known === undefined) {
      hashes.set(msg.user, await hasher.hash(msg.password, cost, wanted));
      loggedIn(peer, msg.user, true);
    } else if (await hasher.compare(msg.password, known, wanted)) {
      loggedIn(peer, msg.user, false);
    } else {
      queue(peer, encode({ type: 'error', code: 'BAD_PASSWORD', message: 'wrong password' }));
    }
  } catch {
    peer.socket.destroy();
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
  const option = (name: string) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : undefined;
  };
  const port = Number(option('--port') ?? 0);
  const db = option('--db');
  if (db !== undefined) {
    const { users } = JSON.parse(readFileSync(db, 'utf8')) as { users: { name: string; hash: string }[] };
    // No queue limit: the bench's logins in flight are bounded by its --concurrency.
    const hasher = createHasher(Number(option('--hash-threads') ?? 1), Number.MAX_SAFE_INTEGER);
    passwords = { hasher, cost: Number(option('--hash-cost') ?? 4), hashes: new Map(users.map((u) => [u.name, u.hash])) };
  }
  const server = await startFloor('127.0.0.1', port);
  const { address, port: bound } = server.address() as net.AddressInfo;
  process.stdout.write(`Floor relay listening on tcp://${address}:${bound}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
