/**
 * One file we send, once accepted: read in chunks and sent with at most a window of bytes in
 * flight (sent, not yet acknowledged by the receiver), at most the server's file rate. The
 * window is what keeps the server's output cap (--max-output) toward the receiver from ever
 * filling with our chunks, and leaves room for chat lines between them; the rate is the server's
 * (announced in `hello`), so it never cuts us off. Between partners of an encrypted chat each
 * chunk is sealed with the transfer's own key.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Cancel, Clock } from '../../common/clock.js';
import { fileProblem } from '../../common/file-errors.js';
import { MAX_CHUNKS_IN_FLIGHT, type ClientMessage } from '../../common/protocol.js';
import type { Sealer } from '../secure/record.js';
import type { Progress } from './progress.js';

export interface OutgoingPlan {
  readonly id: string;
  readonly to: string;
  readonly path: string;
  readonly name: string;
  readonly size: number;
  /** File bytes per chunk (sealed ones are 25 bytes longer). */
  readonly chunk: number;
  /** Bytes that may be in flight (the server's fileWindow). */
  readonly window: number;
  /** File bytes a second (the server's fileRate). */
  readonly rate: number;
  /** The transfer's sealer, between partners of an encrypted chat; its first record was the offer's name and digest. */
  readonly sealer: Sealer | null;
}

export interface OutgoingDeps {
  clock: Clock;
  send(m: ClientMessage): boolean;
  progress: Progress;
  /** The transfer cannot go on here (the file could not be read, or changed size): why. */
  failed(why: string): void;
}

export class Outgoing {
  private handle: FileHandle | null = null;
  private seq = 0;
  private sent = 0;
  private acked = 0;
  private readonly inFlight: [number, number][] = [];
  private inFlightBytes = 0;
  private reading = false;
  private over = false;
  private tokens: number;
  private at: number;
  private timer: Cancel | null = null;

  constructor(
    readonly plan: OutgoingPlan,
    private readonly deps: OutgoingDeps,
  ) {
    this.tokens = plan.window;
    this.at = deps.clock.monotonic();
  }

  /** Bytes the receiver has acknowledged. */
  get done(): number {
    return this.acked;
  }

  /** Accepted: open the file and send. */
  async start(): Promise<void> {
    try {
      this.handle = await open(this.plan.path, 'r');
    } catch (e) {
      return this.fail(`cannot read ${this.plan.path}: ${fileProblem(e)}`);
    }
    if (this.over) return void this.handle.close().catch(() => {});
    this.deps.progress.start(this.plan.id, `-> ${this.plan.to} ${this.plan.name}`, this.plan.size);
    this.pump();
  }

  /** The receiver has every chunk up to `seq`. */
  ack(seq: number): void {
    while (this.inFlight.length > 0 && this.inFlight[0]![0] <= seq) {
      const [, bytes] = this.inFlight.shift()!;
      this.inFlightBytes -= bytes;
      this.acked += bytes;
    }
    this.deps.progress.update(this.plan.id, this.acked);
    this.pump();
  }

  /** Stops: cancelled, failed, done. Safe twice. */
  close(): void {
    if (this.over) return;
    this.over = true;
    this.timer?.();
    this.timer = null;
    this.deps.progress.stop(this.plan.id);
    void this.handle?.close().catch(() => {});
  }

  private fail(why: string): void {
    if (this.over) return;
    this.close();
    this.deps.failed(why);
  }

  /** Sends the next chunk if the window and the rate allow; else waits for an ack or for time. */
  private pump(): void {
    const { plan } = this;
    if (this.over || this.reading || !this.handle || this.timer || this.sent >= plan.size) return;
    const n = Math.min(plan.chunk, plan.size - this.sent);
    if (this.inFlight.length >= MAX_CHUNKS_IN_FLIGHT || (this.inFlight.length > 0 && this.inFlightBytes + n > plan.window)) return;
    const now = this.deps.clock.monotonic();
    this.tokens = Math.min(plan.window, this.tokens + ((now - this.at) / 1000) * plan.rate);
    this.at = now;
    if (this.tokens < n) {
      const wait = Math.ceil(((n - this.tokens) / plan.rate) * 1000);
      this.timer = this.deps.clock.after(wait, () => {
        this.timer = null;
        this.pump();
      });
      return;
    }
    this.tokens -= n;
    this.reading = true;
    const buffer = Buffer.allocUnsafe(n);
    this.handle.read(buffer, 0, n, this.sent).then(
      ({ bytesRead }) => {
        this.reading = false;
        if (this.over) return;
        if (bytesRead !== n) return this.fail(`${plan.path} changed while it was being sent`);
        this.emit(buffer);
        this.pump();
      },
      (e: unknown) => {
        this.reading = false;
        this.fail(`cannot read ${plan.path}: ${fileProblem(e)}`);
      },
    );
  }

  private emit(bytes: Buffer): void {
    const { sealer, id } = this.plan;
    const data = sealer ? sealer.seal(bytes) : bytes;
    this.deps.send({ type: 'file_chunk', id, seq: this.seq, data, ...(sealer ? { sealed: true } : {}) });
    this.inFlight.push([this.seq, bytes.length]);
    this.inFlightBytes += bytes.length;
    this.sent += bytes.length;
    this.seq++;
  }
}
