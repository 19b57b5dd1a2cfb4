/**
 * One file we receive, once we said yes: chunks written in order to a temporary file in
 * --downloads (mode 0600, a name of our own, created exclusively), each acknowledged once it is
 * written, so a slow disk slows the sender rather than filling memory. At the end the size and
 * SHA-256 are checked against the offer; only a file that matches both gets its name (never over
 * an existing file); anything else, and any transfer that stops early, leaves nothing behind.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientMessage } from '../../common/protocol.js';
import type { Opener } from '../secure/record.js';
import { saveUnique } from './naming.js';
import type { Progress } from './progress.js';

export interface IncomingPlan {
  readonly from: string;
  readonly id: string;
  readonly size: number;
  readonly sha256: Buffer;
  /** The safe name to save under (naming.ts). */
  readonly name: string;
  readonly dir: string;
  /** The transfer's opener, between partners of an encrypted chat (it has opened the offer's record). */
  readonly opener: Opener | null;
}

export interface IncomingDeps {
  send(m: ClientMessage): boolean;
  progress: Progress;
  /** Saved under `path`; or not kept, and why. */
  finished(result: { path: string } | { problem: string }): void;
}

export class Incoming {
  private handle: FileHandle | null = null;
  private tmp = '';
  private received = 0;
  private seq = 0;
  private readonly hash = createHash('sha256');
  /** Writes in order, one after the other. */
  private chain: Promise<void> = Promise.resolve();
  private over = false;

  constructor(
    readonly plan: IncomingPlan,
    private readonly deps: IncomingDeps,
  ) {}

  /** Opens the temporary file. Throws an Error whose message says why it cannot be. */
  async open(): Promise<void> {
    const { dir, id } = this.plan;
    try {
      mkdirSync(dir, { recursive: true });
      this.tmp = join(dir, `.tinychat-${id}-${randomBytes(4).toString('hex')}.part`);
      this.handle = await open(this.tmp, 'wx', 0o600);
    } catch (e) {
      throw new Error(`cannot write in ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    this.deps.progress.start(`${this.plan.from}/${id}`, `<- ${this.plan.from} ${this.plan.name}`, this.plan.size);
  }

  /**
   * Chunk `seq`: null when taken (it is written, then acknowledged), else why the transfer cannot
   * go on (the caller cancels it).
   */
  chunk(seq: number, data: Buffer, sealed: boolean): string | null {
    if (this.over || !this.handle) return null;
    if (seq !== this.seq) return `chunk ${seq} came when ${this.seq} was due`;
    if (sealed !== (this.plan.opener !== null)) return sealed ? 'an encrypted chunk in a transfer that is not' : 'an unencrypted chunk in an encrypted transfer';
    let bytes = data;
    if (this.plan.opener) {
      const r = this.plan.opener.open(data);
      // Counter 0 was the offer's record: chunk n is record n + 1, nothing skipped.
      if (!r.ok || r.counter !== BigInt(seq + 1)) return `chunk ${seq} ${r.ok ? 'is out of place' : r.why === 'replayed' ? 'was replayed' : 'was altered on the way'}`;
      bytes = r.plaintext;
    }
    if (this.received + bytes.length > this.plan.size) return `more than the ${this.plan.size} bytes offered`;
    const at = this.received;
    this.received += bytes.length;
    this.seq++;
    this.hash.update(bytes);
    const handle = this.handle;
    this.chain = this.chain
      .then(() => handle.write(bytes, 0, bytes.length, at))
      .then(() => {
        if (this.over) return;
        this.deps.send({ type: 'file_ack', from: this.plan.from, id: this.plan.id, seq });
        this.deps.progress.update(`${this.plan.from}/${this.plan.id}`, at + bytes.length);
        if (at + bytes.length === this.plan.size) return this.finish();
      })
      .catch((e: NodeJS.ErrnoException) => this.end(`cannot write ${this.tmp}: ${e.code ?? e.message}`, false));
    return null;
  }

  /** Stops early (cancelled, failed, connection lost): nothing is kept. Safe twice. */
  abort(): void {
    if (this.over) return;
    this.over = true;
    this.deps.progress.stop(`${this.plan.from}/${this.plan.id}`);
    this.chain = this.chain.then(() => this.discard());
  }

  /** Resolves once whatever this transfer had on disk is written or gone. */
  settled(): Promise<void> {
    return this.chain;
  }

  private async finish(): Promise<void> {
    const digest = this.hash.digest();
    const ok = this.received === this.plan.size && timingSafeEqual(digest, this.plan.sha256);
    if (!ok) return this.end(`it does not match the size and SHA-256 ${this.plan.from} announced`, true);
    await this.handle!.close();
    this.handle = null;
    let path: string;
    try {
      path = saveUnique(this.tmp, this.plan.dir, this.plan.name);
    } catch (e) {
      return this.end(`cannot save it: ${(e as Error).message}`, false);
    }
    this.over = true;
    this.deps.progress.stop(`${this.plan.from}/${this.plan.id}`);
    this.deps.send({ type: 'file_done', from: this.plan.from, id: this.plan.id, ok: true });
    this.deps.finished({ path });
  }

  /**
   * Ends with nothing kept. `checked`: the whole file came and did not match (the verdict goes
   * back: file_done, not ok); otherwise this side stops the transfer (file_cancel).
   */
  private async end(problem: string, checked: boolean): Promise<void> {
    if (this.over) return;
    this.over = true;
    this.deps.progress.stop(`${this.plan.from}/${this.plan.id}`);
    await this.discard();
    const { from, id } = this.plan;
    this.deps.send(checked ? { type: 'file_done', from, id, ok: false } : { type: 'file_cancel', from, id });
    this.deps.finished({ problem });
  }

  private async discard(): Promise<void> {
    await this.handle?.close().catch(() => {});
    this.handle = null;
    if (this.tmp) await unlink(this.tmp).catch(() => {});
  }
}
