/**
 * One file we receive, once we said yes: chunks written in order to a temporary file in
 * --downloads (mode 0600, a name of our own, created exclusively), each acknowledged once it is
 * written, so a slow disk slows the sender rather than filling memory. At the end the size and
 * SHA-256 are checked against the offer; only a file that matches both gets its name (never over
 * an existing file); anything else, and any transfer that stops early, leaves nothing behind.
 *
 * Only a receiver that is killed (kill -9, a crash, power lost) leaves its temporary file, and
 * only the next client to use the folder can remove it. Another client may be writing in the
 * same folder at that moment (two users, one folder; or one folder on a network drive shared by
 * several machines, where a process id means nothing; and a lock file would be left behind by
 * the same kill -9, while Node has no lock that dies with its holder), so a temporary file is
 * judged by its age: a receiver touches its own every PART_TOUCH_MS, and one untouched for
 * PART_DEAD_MS has nobody writing it. The receiver's own touch is what makes the age certain: the
 * server ends a transfer without progress after its --pm-timeout, but clients are not told that
 * timeout, and an operator may set it to hours.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { lstat, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cancel, Clock } from '../../common/clock.js';
import { fileProblem } from '../../common/file-errors.js';
import { makeDirs } from '../../common/make-dirs.js';
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

/** How often a receiver touches its temporary file, written to or not. */
export const PART_TOUCH_MS = 60_000;
/**
 * A temporary file untouched this long is a dead receiver's: ten touches missed, room for the
 * clocks of machines that share a folder to disagree, and for a process stopped a while.
 */
export const PART_DEAD_MS = 10 * PART_TOUCH_MS;
/** The temporary files receivers make (`.tinychat-<transfer id>-<8 hex>.part`), and nothing else. */
const PART_NAME = /^\.tinychat-[A-Za-z0-9_-]{1,32}-[0-9a-f]{8}\.part$/;

/**
 * Removes the temporary files in `dir` that no receiver is writing (see above); `now` is the wall
 * clock. Anything that cannot be read or removed is left as it is: this is tidying, never a reason
 * to refuse a file.
 */
export async function removeDeadParts(dir: string, now: number): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => PART_NAME.test(n))) {
    const path = join(dir, name);
    const st = await lstat(path).catch(() => null);
    if (st?.isFile() && now - st.mtimeMs > PART_DEAD_MS) await unlink(path).catch(() => {});
  }
}

export interface IncomingDeps {
  clock: Clock;
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
  private stopTouching: Cancel | null = null;

  constructor(
    readonly plan: IncomingPlan,
    private readonly deps: IncomingDeps,
  ) {}

  /** Opens the temporary file. Throws an Error whose message says why it cannot be. */
  async open(): Promise<void> {
    const { dir, id } = this.plan;
    try {
      makeDirs(dir);
      await removeDeadParts(dir, this.deps.clock.now());
      this.tmp = join(dir, `.tinychat-${id}-${randomBytes(4).toString('hex')}.part`);
      this.handle = await open(this.tmp, 'wx', 0o600);
    } catch (e) {
      throw new Error(`cannot write in ${dir}: ${fileProblem(e)}`);
    }
    // Aborted while the folder was tidied or the file made: discard() ran before there was a file.
    if (this.over) return this.discard();
    const handle = this.handle;
    this.stopTouching = this.deps.clock.every(PART_TOUCH_MS, () => {
      const now = new Date(this.deps.clock.now());
      handle.utimes(now, now).catch(() => {});
    });
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
      .catch((e: unknown) => this.end(`cannot write ${this.tmp}: ${fileProblem(e)}`, false));
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
    this.stopTouching?.();
    await this.handle!.close();
    this.handle = null;
    let path: string;
    try {
      path = saveUnique(this.tmp, this.plan.dir, this.plan.name);
    } catch (e) {
      return this.end(`cannot save it: ${fileProblem(e)}`, false);
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
    this.stopTouching?.();
    await this.handle?.close().catch(() => {});
    this.handle = null;
    if (this.tmp) await unlink(this.tmp).catch(() => {});
  }
}
