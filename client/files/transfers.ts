/**
 * Files sent with consent, as the user lives them (issue 16): `/send bob PATH` offers bob the
 * file (its size and SHA-256 announced), bob answers Y/N (or /accept, /reject), the file streams
 * with a progress bar on both sides, `/cancel` stops it on either side, and bob keeps it only if
 * its size and digest match. Every transfer gets a number (#1, #2, ...) the user can name it by.
 *
 * Between partners of an encrypted private chat the offer's name and digest and every chunk are
 * sealed with a key of the transfer's own (secure/channel.ts); the server sees only the size.
 *
 * The session hands server messages to `received` (transfer events, chunks, acknowledgements)
 * and typed commands to `offer`, `answer`, `cancel`; lines come back to be shown, now or (after
 * disk work) through `deps.show`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, resolve } from 'node:path';
import { canonicalBase64 } from '../../common/codec.js';
import { ERRORS, type ErrorCode } from '../../common/errors.js';
import type { Clock } from '../../common/clock.js';
import { foldName } from '../../common/names.js';
import { SEAL_OVERHEAD, type ClientMessage, type ServerMessage } from '../../common/protocol.js';
import { humanSize } from '../../common/size.js';
import type { OfferRef } from '../answers.js';
import { safeLine, type DisplayLine, type Formatter } from '../format.js';
import type { Channel } from '../secure/channel.js';
import type { Opener, Sealer } from '../secure/record.js';
import { Incoming, removeDeadParts } from './incoming.js';
import { safeFileName } from './naming.js';
import { Outgoing } from './outgoing.js';
import type { Progress } from './progress.js';

/** What the server announced in its hello. */
export interface FileLimits {
  readonly maxBody: number;
  readonly maxFile: number;
  readonly window: number;
  readonly rate: number;
}

export interface FilesDeps {
  clock: Clock;
  send(m: ClientMessage): boolean;
  fmt: Formatter;
  /** Shows lines that come later (after hashing a file, saving one). */
  show(lines: DisplayLine[]): void;
  progress: Progress;
  /** Where received files go (--downloads). */
  downloads: string;
  /** The server's file limits; null when it relays no files. */
  limits(): FileLimits | null;
  /** The channel of a live encrypted chat with `name`, if any. */
  channelWith(name: string): Channel | null;
  me(): string;
}

/** The most bytes a chunk carries: small enough to let chat lines through between chunks. */
const MAX_CHUNK = 32 * 1024;
/** File offers waiting for our answer, at most (a hostile server cannot grow this). */
const MAX_WAITING = 100;

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

interface Theirs {
  readonly ref: OfferRef;
  readonly sha256: Buffer;
  readonly opener: Opener | null;
  receiving: Incoming | null;
}

/** An offer we sent (by id), or a yes we sent (by the offer's key). */
type Asked = { offer: string } | { yes: string };

/** Errors that refuse a file offer or a yes, and which of the two each can refuse. */
const REFUSES: Partial<Record<ErrorCode, readonly ('offer' | 'yes')[]>> = {
  NO_SUCH_USER: ['offer'],
  FILE_SELF: ['offer'],
  FILES_UNSUPPORTED: ['offer'],
  FILE_ELSEWHERE: ['offer'],
  FILE_BAD_OFFER: ['offer'],
  FILE_TOO_BIG: ['offer'],
  FILE_ID_TAKEN: ['offer'],
  FILE_OFFER_PENDING: ['offer'],
  FILE_OFFERS_FULL: ['offer'],
  FILE_BUSY: ['offer', 'yes'],
  FILE_WAITING: ['offer', 'yes'],
};

const keyOf = (from: string, id: string) => `${foldName(from)}/${id}`;

/** Transfers in the order of their numbers, which is the order they were typed or offered. */
const byNumber = (a: { n: number }, b: { n: number }) => a.n - b.n;

export class FileTransfers {
  private readonly mine = new Map<string, Mine>();
  private readonly theirs = new Map<string, Theirs>();
  /**
   * What was asked of the server and not answered yet, oldest first: offers sent (their
   * `offered` to come) and yeses sent (their `accepted` to come). The server answers a connection's
   * messages in order, so a file error is about the oldest; FILE_BUSY to "you" may answer either.
   */
  private readonly asked: Asked[] = [];
  /** Transfers that ended lately (the other side cancelled, say): a chunk or ack of ours that crossed the end gets FILE_NO_SUCH, which is no news. */
  private readonly ended: string[] = [];
  private count = 0;

  constructor(private readonly deps: FilesDeps) {
    // What a receiver killed mid-transfer left in the folder (incoming.ts); again at each accept.
    void removeDeadParts(deps.downloads, deps.clock.now());
  }

  /** Offers to us not answered yet, oldest first (for Y/N and /accept). */
  pending(): OfferRef[] {
    return [...this.theirs.values()].filter((t) => !t.receiving).map((t) => t.ref);
  }

  // ---- sending ------------------------------------------------------------------------------

  /** `/send NAME PATH`: checks the file, hashes it, offers it. Lines now; the offer once hashed. */
  offer(to: string, path: string): DisplayLine[] {
    const { fmt } = this.deps;
    const limits = this.deps.limits();
    if (!limits || limits.maxFile === 0) return [fmt.error('this server does not relay files')];
    // The server would refuse it too, but only after the whole file had been read to hash it.
    if (foldName(to) === foldName(this.deps.me())) return [fmt.error(ERRORS.FILE_SELF())];
    const full = resolve(path.replace(/^~(?=$|\/)/, homedir()));
    let size: number;
    try {
      const st = statSync(full);
      if (!st.isFile()) return [fmt.error(`${safeLine(path)} is not a file`)];
      size = st.size;
    } catch (e) {
      return [fmt.error(`cannot send ${safeLine(path)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`)];
    }
    if (size === 0) return [fmt.error(`${safeLine(path)} is empty: nothing to send`)];
    if (size > limits.maxFile) return [fmt.error(`${safeLine(path)} is ${humanSize(size)}; this server relays files up to ${humanSize(limits.maxFile)}`)];
    const name = basename(full);
    // The number is taken now, in the order the user typed /send: two files hash at different
    // speeds, and /cancel's #N must not depend on which finished first.
    const n = ++this.count;
    hashFile(full).then(
      (sha256) => this.sendOffer(n, to, full, name, size, sha256),
      (e: NodeJS.ErrnoException) => this.deps.show([fmt.error(`cannot read ${safeLine(path)}: ${e.code ?? e.message}`)]),
    );
    return [fmt.info(`Checking ${safeLine(name)} (${humanSize(size)}) before offering it to ${safeLine(to)}…`)];
  }

  private sendOffer(n: number, to: string, path: string, name: string, size: number, sha256: Buffer): void {
    const id = randomBytes(12).toString('base64url');
    const channel = this.deps.channelWith(to);
    const sealer = channel ? channel.fileSealer(id) : null;
    const described = sealer
      ? { meta: sealer.seal(Buffer.from(JSON.stringify({ name, sha256: sha256.toString('base64') }))).toString('base64') }
      : { name: [...name].slice(0, 255).join(''), sha256: sha256.toString('base64') };
    if (!this.deps.send({ type: 'file_offer', to, id, size, ...described })) {
      return this.deps.show([this.deps.fmt.notDelivered(`/send ${to} ${path}`, 'not connected')]);
    }
    this.mine.set(id, { n, id, to, path, name, size, sealer, sending: null });
    this.asked.push({ offer: id });
  }

  // ---- answering ------------------------------------------------------------------------------

  /** Y/N, /accept #N, /reject #N for an offer to us. */
  answer(ref: OfferRef, accept: boolean): DisplayLine[] {
    const t = this.theirs.get(keyOf(ref.from, ref.id));
    if (!t || t.receiving) return [this.deps.fmt.error(`file offer #${ref.n} is no longer waiting`)];
    if (!accept) return this.refuse(t);
    const incoming = new Incoming(
      { from: ref.from, id: ref.id, size: ref.size, sha256: t.sha256, name: ref.name, dir: this.deps.downloads, opener: t.opener },
      { clock: this.deps.clock, send: (m) => this.deps.send(m), progress: this.deps.progress, finished: (r) => this.saved(t, r) },
    );
    t.receiving = incoming;
    incoming.open().then(
      () => {
        // Gone meanwhile (cancelled, expired, the connection lost): no yes to send.
        if (this.theirs.get(keyOf(ref.from, ref.id))?.receiving !== incoming) return;
        if (this.deps.send({ type: 'file_answer', from: ref.from, id: ref.id, accept: true })) this.asked.push({ yes: keyOf(ref.from, ref.id) });
      },
      (e: Error) => {
        this.theirs.delete(keyOf(ref.from, ref.id));
        this.deps.send({ type: 'file_answer', from: ref.from, id: ref.id, accept: false });
        this.deps.show([this.deps.fmt.error(`refused ${safeLine(ref.from)}'s file: ${e.message}`)]);
      },
    );
    return [];
  }

  /** N, /reject, or /cancel of an offer not answered yet. */
  private refuse({ ref }: Theirs): DisplayLine[] {
    this.theirs.delete(keyOf(ref.from, ref.id));
    this.deps.send({ type: 'file_answer', from: ref.from, id: ref.id, accept: false });
    // The server's word for it cannot name the file (it may not know the name: a sealed offer).
    return [this.deps.fmt.notice(`You refused the file ${safeLine(ref.name)} from ${safeLine(ref.from)}`)];
  }

  private saved(t: Theirs, r: { path: string } | { problem: string }): void {
    const { ref } = t;
    this.theirs.delete(keyOf(ref.from, ref.id));
    const { fmt } = this.deps;
    if ('path' in r) {
      this.deps.show([fmt.info(`Saved ${safeLine(ref.name)} from ${safeLine(ref.from)} as ${safeLine(r.path)} (${humanSize(ref.size)}, size and SHA-256 checked).`)]);
    } else {
      this.deps.show([fmt.error(`the file ${safeLine(ref.name)} from ${safeLine(ref.from)} was not kept: ${r.problem}`)]);
    }
  }

  // ---- cancelling -----------------------------------------------------------------------------

  /** `/cancel [#N|NAME]`. */
  cancel(which: string | undefined): DisplayLine[] {
    const { fmt } = this.deps;
    const all = [
      ...[...this.mine.values()].map((m) => ({ n: m.n, who: m.to, line: `#${m.n}: ${safeLine(m.name)} to ${safeLine(m.to)}`, stop: () => this.cancelMine(m) })),
      ...[...this.theirs.values()].map((t) => ({ n: t.ref.n, who: t.ref.from, line: `#${t.ref.n}: ${safeLine(t.ref.name)} from ${safeLine(t.ref.from)}`, stop: () => this.cancelTheirs(t) })),
    ].sort(byNumber);
    const n = which && /^#\d+$/.test(which) ? Number(which.slice(1)) : undefined;
    const chosen = all.filter((x) => which === undefined || (n !== undefined ? x.n === n : foldName(x.who) === foldName(which)));
    if (chosen.length === 1) return chosen[0]!.stop();
    if (chosen.length === 0) return [fmt.error(which === undefined ? 'no file transfer to cancel' : `no file transfer ${safeLine(which)}`)];
    return [fmt.error('more than one file transfer; say which: /cancel #N'), ...chosen.map((x) => fmt.info(`  ${x.line}`))];
  }

  private cancelMine(m: Mine): DisplayLine[] {
    this.mine.delete(m.id);
    m.sending?.close();
    this.deps.send({ type: 'file_cancel', id: m.id });
    return [this.deps.fmt.info(`Cancelled sending ${safeLine(m.name)} to ${safeLine(m.to)}.`)];
  }

  private cancelTheirs(t: Theirs): DisplayLine[] {
    if (!t.receiving) return this.refuse(t);
    const { ref } = t;
    this.theirs.delete(keyOf(ref.from, ref.id));
    t.receiving.abort();
    this.deps.send({ type: 'file_cancel', from: ref.from, id: ref.id });
    return [this.deps.fmt.info(`Cancelled receiving ${safeLine(ref.name)} from ${safeLine(ref.from)}; nothing was kept.`)];
  }

  // ---- what the server says ---------------------------------------------------------------------

  /** Lines for a transfer message (null: not one of ours to handle; an error goes on to the view). */
  received(m: ServerMessage): DisplayLine[] | null {
    switch (m.type) {
      case 'transfer':
        return foldName(m.from) === foldName(this.deps.me()) ? this.forMine(m) : this.forTheirs(m);
      case 'file_chunk':
        return this.chunk(m);
      case 'file_ack':
        this.mine.get(m.id)?.sending?.ack(m.seq);
        return [];
      case 'error':
        if (m.code === 'FILE_NO_SUCH' && this.ended.some((id) => m.message === ERRORS.FILE_NO_SUCH(id))) return [];
        this.refusedAsk(m.code as ErrorCode);
        return null;
      default:
        return null;
    }
  }

  private forMine(m: ServerMessage<'transfer'>): DisplayLine[] {
    const { fmt } = this.deps;
    const mine = this.mine.get(m.id);
    if (!mine) return [];
    const what = `${safeLine(mine.name)} (${humanSize(mine.size)})`;
    const to = safeLine(mine.to);
    switch (m.event) {
      case 'offered': {
        this.answered({ offer: m.id });
        return [fmt.info(`Offered ${what} to ${to}${mine.sealer ? ', end-to-end encrypted' : ''}; waiting for the answer (#${mine.n}; /cancel #${mine.n} to withdraw).`)];
      }
      case 'accepted': {
        const limits = this.deps.limits()!;
        const chunk = Math.max(1, Math.min(MAX_CHUNK, limits.maxBody - SEAL_OVERHEAD));
        mine.sending = new Outgoing(
          { id: mine.id, to: mine.to, path: mine.path, name: mine.name, size: mine.size, chunk, window: limits.window, rate: limits.rate, sealer: mine.sealer },
          {
            clock: this.deps.clock,
            send: (msg) => this.deps.send(msg),
            progress: this.deps.progress,
            failed: (why) => this.deps.show([fmt.error(`stopped sending ${what} to ${to}: ${why}`), ...this.cancelMine(mine)]),
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

  /** `ask` has its answer (or will never have one). */
  private answered(ask: Asked): void {
    const i = this.asked.findIndex((a) => ('offer' in ask ? 'offer' in a && a.offer === ask.offer : 'yes' in a && a.yes === ask.yes));
    if (i >= 0) this.asked.splice(i, 1);
  }

  /**
   * The oldest ask was refused: an offer is forgotten; an offer we said yes to waits again for an
   * answer (FILE_BUSY: both our places are taken), its part file gone, so Y or /accept works later.
   */
  private refusedAsk(code: ErrorCode): void {
    const ask = this.asked[0];
    // Only an error that can answer the oldest ask: FILE_NO_SUCH, say, may answer a /cancel.
    if (!ask || !(REFUSES[code] ?? []).includes('offer' in ask ? 'offer' : 'yes')) return;
    this.asked.shift();
    if ('offer' in ask) {
      this.mine.delete(ask.offer);
      return;
    }
    const t = this.theirs.get(ask.yes);
    t?.receiving?.abort();
    if (t) t.receiving = null;
  }

  private end(mine: Mine): void {
    this.over(mine.id);
    this.mine.delete(mine.id);
    mine.sending?.close();
  }

  private over(id: string): void {
    if (this.ended.push(id) > 8) this.ended.shift();
  }

  private forTheirs(m: ServerMessage<'transfer'>): DisplayLine[] {
    const key = keyOf(m.from, m.id);
    const t = this.theirs.get(key);
    if (m.event === 'offer') return this.offered(m);
    this.answered({ yes: key }); // accepted, or over: either way no refusal can follow
    if (!t) return [];
    const what = `${safeLine(t.ref.name)} from ${safeLine(t.ref.from)}`;
    switch (m.event) {
      case 'cancelled':
      case 'expired':
      case 'failed':
        this.over(m.id);
        this.theirs.delete(key);
        t.receiving?.abort();
        return [this.deps.fmt.error(`the file ${what} did not come: ${safeLine(m.message)}; nothing was kept`)];
      case 'refused':
        this.theirs.delete(key);
        return [];
      default:
        return [];
    }
  }

  /** An offer to us: its name and digest in the open, or sealed (opened with our chat's keys). */
  private offered(m: ServerMessage<'transfer'>): DisplayLine[] {
    const { fmt } = this.deps;
    const from = safeLine(m.from);
    const refuse = (why: string) => {
      this.deps.send({ type: 'file_answer', from: m.from, id: m.id, accept: false });
      return [fmt.error(`${from} offered a file, refused: ${why}`)];
    };
    if (m.size === undefined || this.theirs.size >= MAX_WAITING) return refuse('too many offers waiting');
    let name = m.name;
    let sha = m.sha256;
    let opener: Opener | null = null;
    if (m.meta !== undefined) {
      const channel = this.deps.channelWith(m.from);
      if (!channel) return refuse(`it is encrypted, and there is no encrypted chat with ${from} to open it with`);
      opener = channel.fileOpener(m.id);
      const r = opener.open(Buffer.from(m.meta, 'base64'));
      const meta = r.ok && r.counter === 0n ? parseMeta(r.plaintext) : null;
      if (!meta) return refuse('its encrypted description does not check out');
      ({ name, sha256: sha } = meta);
    }
    if (name === undefined || sha === undefined) return refuse('it names no file');
    const ref: OfferRef = { n: ++this.count, from: m.from, id: m.id, name: safeFileName(name), size: m.size };
    this.theirs.set(keyOf(m.from, m.id), { ref, sha256: Buffer.from(sha, 'base64'), opener, receiving: null });
    const sealed = opener ? ', end-to-end encrypted' : '';
    return [{ ...fmt.info(`${from} wants to send you ${safeLine(ref.name)} (${humanSize(m.size)}${sealed}) (Y/N)?  (#${ref.n})`), style: 'notice' }];
  }

  private chunk(m: ServerMessage<'file_chunk'>): DisplayLine[] {
    const t = this.theirs.get(keyOf(m.from, m.id));
    if (!t?.receiving) return [];
    const problem = t.receiving.chunk(m.seq, m.data, m.sealed === true);
    if (problem === null) return [];
    this.theirs.delete(keyOf(m.from, m.id));
    t.receiving.abort();
    this.deps.send({ type: 'file_cancel', from: m.from, id: m.id });
    return [this.deps.fmt.error(`stopped receiving ${safeLine(t.ref.name)} from ${safeLine(m.from)}: ${problem}; nothing was kept`)];
  }

  /** The connection was lost: every transfer stops here (the server ends them too). */
  lost(): DisplayLine[] {
    const lines: DisplayLine[] = [];
    for (const m of [...this.mine.values()].sort(byNumber)) {
      m.sending?.close();
      lines.push(this.deps.fmt.error(`sending ${safeLine(m.name)} to ${safeLine(m.to)} stopped: the connection was lost`));
    }
    for (const t of this.theirs.values()) {
      if (!t.receiving) continue;
      t.receiving.abort();
      lines.push(this.deps.fmt.error(`receiving ${safeLine(t.ref.name)} from ${safeLine(t.ref.from)} stopped: the connection was lost; nothing was kept`));
    }
    this.mine.clear();
    this.theirs.clear();
    this.asked.length = 0;
    return lines;
  }

  /** Waits until every transfer's files are written or removed (for tests and an orderly exit). */
  async settled(): Promise<void> {
    await Promise.all([...this.theirs.values()].map((t) => t.receiving?.settled()));
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

/** The sealed description of an offer: {name, sha256}. */
function parseMeta(bytes: Buffer): { name: string; sha256: string } | null {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as { name?: unknown; sha256?: unknown };
    if (typeof v.name !== 'string' || v.name.length > 1024 || typeof v.sha256 !== 'string' || canonicalBase64(v.sha256) !== 32) return null;
    return { name: v.name, sha256: v.sha256 };
  } catch {
    return null;
  }
}
