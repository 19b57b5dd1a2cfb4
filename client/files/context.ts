/**
 * What the file transfers are given by the chat (FilesDeps), and what their two halves, sending
 * (sending.ts) and receiving (receiving.ts), share: the numbers the user names transfers by, the
 * requests the server has not answered yet (asked.ts), and how each lists its transfers for
 * /cancel. Its own file so that the halves and the façade (transfers.ts) need not import each other.
 */
import type { Clock } from '../../common/clock.js';
import type { ClientMessage } from '../../common/protocol.js';
import type { DisplayLine, Formatter } from '../format.js';
import type { Channel } from '../secure/channel.js';
import type { Asked } from './asked.js';
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
  /** Whether the server names every refusal of a file request (see namesRefusals). */
  named(): boolean;
}

/** What a half of the transfers gets beside the deps. */
export interface Shared {
  readonly deps: FilesDeps;
  readonly asked: Asked;
  /** The next transfer's number (#1, #2, ...), one sequence for both halves. */
  number(): number;
}

/** A transfer as /cancel lists and stops it. */
export interface Listed {
  readonly n: number;
  /** The other user. */
  readonly who: string;
  readonly line: string;
  stop(): DisplayLine[];
}

/** Transfers in the order of their numbers, which is the order they were typed or offered. */
export const byNumber = (a: { n: number }, b: { n: number }) => a.n - b.n;
