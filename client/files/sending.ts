/**
 * The files we offer, from `/send` to their end: the checks before anything is sent, the hash,
 * the offer (sealed between partners of an encrypted chat), and what the server says of each
 * (offered, accepted: the bytes go out through outgoing.ts, done, refused, failed). The
 * receiving half is receiving.ts; they share only the numbering and the unanswered requests.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, resolve } from 'node:path';
import { ERRORS } from '../../common/errors.js';
import { fileProblem } from '../../common/file-errors.js';
import { foldName } from '../../common/names.js';
import { SEAL_OVERHEAD, type ServerMessage } from '../../common/protocol.js';
import { humanSize } from '../../common/size.js';
import { safeLine, type DisplayLine } from '../format.js';
import type { Sealer } from '../secure/record.js';
import { byNumber, type Listed, type Shared } from './context.js';
import { Outgoing } from './outgoing.js';

/** The most bytes a chunk carries: small enough to let chat lines through between chunks. */
const MAX_CHUNK = 32 * 1024;

interface Mine {
  readonly n: number;
  readonly id: string;
  readonly to: string;
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly sealer: Sealer | null;
  sending: Outgoing | null;
}

export class Sending {
  private readonly mine = new Map<string, Mine>();

  constructor(private readonly shared: Shared) {}

  /** `/send NAME PATH`: checks the file, hashes it, offers it. Lines now; the offer once hashed. */
  offer(to: string, path: string): DisplayLine[] {
    const { deps } = this.shared;
    const { fmt } = deps;
    const limits = deps.limits();
    if (!limits || limits.maxFile === 0) return [fmt.error('this server does not relay files')];
    // The server would refuse it too, but only after the whole file had been read to hash it.
    if (foldName(to) === foldName(deps.me())) return [fmt.error(ERRORS.FILE_SELF())];
    const full = resolve(path.replace(/^~(?=$|\/)/, homedir()));
    let size: number;
    try {
      const st = statSync(full);
      if (!st.isFile()) return [fmt.error(`${safeLine(path)} is not a file`)];
      size = st.size;
    } catch (e) {
      return [fmt.error(`cannot send ${safeLine(path)}: ${fileProblem(e)}`)];
    }
    if (size === 0) return [fmt.error(`${safeLine(path)} is empty: nothing to send`)];
    if (size > limits.maxFile) return [fmt.error(`${safeLine(path)} is ${humanSize(size)}; this server relays files up to ${humanSize(limits.maxFile)}`)];
    const name = basename(full);
    // The number is taken now, in the order the user typed /send: two files hash at different
    // speeds, and /cancel's #N must not depend on which finished first.
    const n = this.shared.number();
    hashFile(full).then(
      (sha256) => this.sendOffer(n, to, full, name, size, sha256),
      (e: unknown) => deps.show([fmt.error(`cannot read ${safeLine(path)}: ${fileProblem(e)}`)]),
    );
    return [fmt.info(`Checking ${safeLine(name)} (${humanSize(size)}) before offering it to ${safeLine(to)}…`)];
  }

  private sendOffer(n: number, to: string, path: string, name: string, size: number, sha256: Buffer): void {
    const { deps } = this.shared;
    const id = randomBytes(12).toString('base64url');
    const channel = deps.channelWith(to);
    const sealer = channel ? channel.fileSealer(id) : null;
    const described = sealer
      ? { meta: sealer.seal(Buffer.from(JSON.stringify({ name, sha256: sha256.toString('base64') }))).toString('base64') }
      : { name: [...name].slice(0, 255).join(''), sha256: sha256.toString('base64') };
    if (!deps.send({ type: 'file_offer', to, id, size, ...described })) {
      return deps.show([deps.fmt.notDelivered(`/send ${to} ${path}`, 'not connected')]);
    }
    this.mine.set(id, { n, id, to, path, name, size, sealer, sending: null });
    this.shared.asked.add({ offer: id });
  }

  /** What the server says of our offer `m.id`. */
  event(m: ServerMessage<'transfer'>): DisplayLine[] {
    const { deps } = this.shared;
    const { fmt } = deps;
    const mine = this.mine.get(m.id);
    if (!mine) return [];
    const what = `${safeLine(mine.name)} (${humanSize(mine.size)})`;
    const to = safeLine(mine.to);
    switch (m.event) {
      case 'offered': {
        this.shared.asked.answered({ offer: m.id });
        return [fmt.info(`Offered ${what} to ${to}${mine.sealer ? ', end-to-end encrypted' : ''}; waiting for the answer (#${mine.n}; /cancel #${mine.n} to withdraw).`)];
      }
      case 'accepted': {
        const limits = deps.limits()!;
        const chunk = Math.max(1, Math.min(MAX_CHUNK, limits.maxBody - SEAL_OVERHEAD));
        mine.sending = new Outgoing(
          { id: mine.id, to: mine.to, path: mine.path, name: mine.name, size: mine.size, chunk, window: limits.window, rate: limits.rate, sealer: mine.sealer },
          {
            clock: deps.clock,
            send: (msg) => deps.send(msg),
            progress: deps.progress,
            failed: (why) => deps.show([fmt.error(`stopped sending ${what} to ${to}: ${why}`), ...this.cancel(mine)]),
          },
        );
        void mine.sending.start();
        return [fmt.info(`${to} accepted ${what}: sending.`)];
      }
      case 'done':
        this.end(mine);
        return [fmt.info(`Sent ${what} to ${to}: received and checked.`)];
      case 'refused':
        this.end(mine);
        return [fmt.info(`${to} refused ${what}.`)];
      case 'cancelled':
      case 'expired':
      case 'failed':
        this.end(mine);
        return [fmt.error(`the file ${what} to ${to} did not go through: ${safeLine(m.message)}`)];
      default:
        return [];
    }
  }

  /** The receiver has every chunk of `id` up to `seq`. */
  ack(id: string, seq: number): void {
    this.mine.get(id)?.sending?.ack(seq);
  }

  /** The server refused our offer `id`: it is forgotten. */
  refused(id: string): void {
    this.mine.delete(id);
  }

  /** Our transfers, for /cancel. */
  list(): Listed[] {
    return [...this.mine.values()].map((m) => ({ n: m.n, who: m.to, line: `#${m.n}: ${safeLine(m.name)} to ${safeLine(m.to)}`, stop: () => this.cancel(m) }));
  }

  private cancel(m: Mine): DisplayLine[] {
    this.mine.delete(m.id);
    m.sending?.close();
    this.shared.deps.send({ type: 'file_cancel', id: m.id });
    return [this.shared.deps.fmt.info(`Cancelled sending ${safeLine(m.name)} to ${safeLine(m.to)}.`)];
  }

  private end(mine: Mine): void {
    this.mine.delete(mine.id);
    mine.sending?.close();
  }

  /** The connection was lost: every offer and sending stops, one line each in the order typed. */
  lost(): DisplayLine[] {
    const lines = [...this.mine.values()].sort(byNumber).map((m) => {
      m.sending?.close();
      return this.shared.deps.fmt.error(`sending ${safeLine(m.name)} to ${safeLine(m.to)} stopped: the connection was lost`);
    });
    this.mine.clear();
    return lines;
  }
}

function hashFile(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest()))
      .on('error', reject);
  });
}
