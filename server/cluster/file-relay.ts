/**
 * The steps of file transfers between users of two servers (chunks among them), point to point:
 * each server life listens on a Redis pub/sub channel of its own, on a connection of its own, and
 * publishes on another, so a chunk never waits behind an append to the shared log nor holds one
 * up. Nothing of a file goes into the shared log, and Redis keeps nothing of it.
 *
 * Pub/sub is fire-and-forget. A step published while nobody listens on that channel (its server
 * stopped, died or restarted as a new life) is reported back at once: PUBLISH counts its
 * receivers. One lost on the way (a subscriber reconnecting) is found by the transfer's own rules
 * (a chunk out of order, a step about a transfer that is over, no progress for too long).
 */
import type { Session } from '../chat/session.js';
import type { FilePeers, PeerMessage, PeerSink } from '../chat/transfer-peers.js';
import type { Logger } from '../logger.js';
import type { Reach } from '../net/delivery.js';
import { KEYS, type Redis } from './redis.js';
import type { Replica } from './replica.js';

/**
 * Bytes handed to Redis and not yet confirmed by it, for all transfers together, at most. Each
 * transfer keeps at most its window in flight; this bounds what a server holds when Redis is slow
 * to take it (a step past it fails its transfer, which says so).
 */
export const RELAY_MAX_BYTES = 32 * 1024 * 1024;

export class FileRelay implements FilePeers<Reach> {
  private pub: Redis | null = null;
  private sub: Redis | null = null;
  private sink: PeerSink | null = null;
  /** The channel this server listens on (its life's). */
  private channel: string | null = null;
  private held = 0;
  /** Set while the connections are closed on purpose (the server stops): no transfer ends for it. */
  private stopping = false;
  /** File chunk bytes sent to and received from other servers (for /metrics). */
  readonly bytes = { sent: 0, received: 0 };

  constructor(
    private readonly replica: Replica,
    private readonly log: Logger,
  ) {}

  /** Where what arrives goes: this server's transfers. */
  listen(sink: PeerSink): void {
    this.sink = sink;
  }

  /**
   * Opens the two connections (like `cmd`, named `tinychat-files-pub-LIFE`/`-sub-LIFE` in
   * Redis's CLIENT LIST, LIFE this server life's id at start) and listens on this life's channel.
   * The listening connection reconnects by itself and subscribes again, but what was published
   * meanwhile is gone: the transfers it was for end, once for each time it drops.
   */
  async start(cmd: Redis): Promise<void> {
    this.stopping = false;
    for (const which of ['pub', 'sub'] as const) {
      const c = cmd.duplicate({ name: `tinychat-files-${which}-${this.replica.incarnation}` });
      c.on('error', () => {});
      this[which] = c;
      await c.connect();
    }
    let hearing = true;
    const deaf = () => {
      if (this.stopping || !hearing) return;
      hearing = false;
      this.log.warn('Cluster: the file relay stopped hearing the other servers; transfers with their users end');
      this.sink?.deaf();
    };
    this.sub!.on('reconnecting', deaf).on('end', deaf).on('ready', () => (hearing = true));
    await this.subscribe();
  }

  /** This server carries on as a new life (see Membership.rejoin): it listens on that life's channel. */
  async rejoined(): Promise<void> {
    const old = this.channel;
    if (old) await this.sub?.unsubscribe(old).catch(() => {});
    await this.subscribe().catch((e: Error) => this.log.warn(`Cluster: file relay not listening: ${e.message}`));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const c of [this.sub, this.pub]) if (c?.isOpen) await c.quit().catch(() => c.destroy());
  }

  /** Bytes handed to Redis and not yet confirmed. */
  get holding(): number {
    return this.held;
  }

  serverOf(s: Session<Reach>): string | null {
    const p = this.replica.placement(s);
    return p && p.home !== this.replica.incarnation ? p.home : null;
  }

  send(server: string, msg: PeerMessage): boolean {
    const pub = this.pub;
    if (!pub?.isReady) return false;
    const bytes = encodePeer(this.replica.incarnation, msg);
    if (this.held + bytes.length > RELAY_MAX_BYTES) return false;
    this.held += bytes.length;
    if (msg.k === 'chunk') this.bytes.sent += msg.data.length;
    const lost = () => this.sink?.undelivered(server, msg);
    pub.publish(KEYS.files(server), bytes).then(
      (receivers) => {
        this.held -= bytes.length;
        if (receivers === 0) lost();
      },
      () => {
        this.held -= bytes.length;
        lost();
      },
    );
    return true;
  }

  private async subscribe(): Promise<void> {
    const channel = KEYS.files(this.replica.incarnation);
    this.channel = channel;
    await this.sub!.subscribe(channel, (message: Buffer) => this.received(message), true);
  }

  private received(message: Buffer): void {
    const got = decodePeer(message);
    if (!got) return this.log.warn(`Cluster: skipped a file relay message that is not one (${message.length} bytes)`);
    if (got.msg.k === 'chunk') this.bytes.received += got.msg.data.length;
    try {
      this.sink?.fromPeer(got.origin, got.msg);
    } catch (e) {
      this.log.error(`Cluster: file relay message ${got.msg.k} failed: ${(e as Error).stack ?? e}`);
    }
  }
}

/**
 * A step on the wire between servers: a 4-byte big-endian header length, the header (JSON: the
 * sending life `o` and the step, but a chunk's bytes), then a chunk's bytes.
 */
export function encodePeer(origin: string, msg: PeerMessage): Buffer {
  const { data, ...rest } = msg as PeerMessage & { data?: Buffer };
  const header = Buffer.from(JSON.stringify({ o: origin, ...rest }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  return Buffer.concat([length, header, data ?? Buffer.alloc(0)]);
}

const KINDS = new Set(['offer', 'verdict', 'answer', 'chunk', 'ack', 'done', 'cancel', 'end']);

/** The step in `bytes` and the life that sent it; null for anything else. */
export function decodePeer(bytes: Buffer): { origin: string; msg: PeerMessage } | null {
  if (bytes.length < 4) return null;
  const n = bytes.readUInt32BE(0);
  if (4 + n > bytes.length) return null;
  let head: Record<string, unknown>;
  try {
    head = JSON.parse(bytes.subarray(4, 4 + n).toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
  const { o, ...msg } = head;
  if (typeof o !== 'string' || !KINDS.has(msg.k as string) || typeof msg.from !== 'string' || typeof msg.id !== 'string' || typeof msg.to !== 'string') return null;
  if (msg.k === 'chunk') {
    if (!Number.isSafeInteger(msg.seq) || typeof msg.sealed !== 'boolean') return null;
    msg.data = bytes.subarray(4 + n);
  }
  return { origin: o, msg: msg as unknown as PeerMessage };
}
