/**
 * Reads a JSON-lines file at start a piece at a time, never as one string: V8 cannot make a
 * string over 512 MiB, so a file that grew past that (history, offline.jsonl) once kept the
 * server from starting at all, and a file of any size would cost its whole size in memory again.
 * A row longer than `maxRow` bytes is no row we wrote (a frame's text is at most 64 KiB): it is
 * passed over without being held, and reported as damage like any row that does not parse.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Longest row kept: a 64 KiB text escaped (a newline is 2 bytes) with its fields fits well. */
export const MAX_ROW = 1024 * 1024;
const CHUNK = 1024 * 1024;

export interface Row {
  /** The row without its newline; null when it was longer than `maxRow` (skipped unread). */
  text: string | null;
  /** 1-based. */
  number: number;
  /** Bytes on disk, the newline included. */
  bytes: number;
  /** True for the last row: a crash can tear it, whereas damage further up is worth a word. */
  last: boolean;
}

/**
 * Calls `each` for every non-empty row of the file at `path`, in order. Throws what opening or
 * reading the file throws (the caller decides whether a file it cannot read is fatal).
 */
export function readRows(path: string, each: (row: Row) => void, maxRow = MAX_ROW): void {
  const fd = openSync(path, 'r');
  try {
    readFrom(fd, each, maxRow);
  } finally {
    closeSync(fd);
  }
}

function readFrom(fd: number, each: (row: Row) => void, maxRow: number): void {
  const chunk = Buffer.alloc(CHUNK);
  let parts: Buffer[] = [];
  let held = 0;
  /** Bytes of the current row, also those not held because it is too long. */
  let length = 0;
  let number = 0;
  // One row behind, so that the last one can be marked as such.
  let previous: Row | null = null;
  const emit = (row: Row) => {
    if (previous) each(previous);
    previous = row;
  };
  for (;;) {
    const n = readSync(fd, chunk, 0, CHUNK, null);
    if (n === 0) break;
    let start = 0;
    for (let nl = chunk.indexOf(0x0a, 0); nl !== -1 && nl < n; nl = chunk.indexOf(0x0a, start)) {
      keep(chunk.subarray(start, nl));
      number++;
      if (length > 0) emit({ text: held === length ? Buffer.concat(parts).toString('utf8') : null, number, bytes: length + 1, last: false });
      parts = [];
      held = 0;
      length = 0;
      start = nl + 1;
    }
    keep(chunk.subarray(start, n));
  }
  if (length > 0) emit({ text: held === length ? Buffer.concat(parts).toString('utf8') : null, number: number + 1, bytes: length, last: true });
  if (previous) each({ ...(previous as Row), last: true });

  /** Holds a piece of the current row (a copy: the chunk is reused), unless the row is too long. */
  function keep(piece: Buffer): void {
    length += piece.length;
    if (length > maxRow) parts = []; // held stays below length: the row is reported without text
    if (length > maxRow || piece.length === 0) return;
    parts.push(Buffer.from(piece));
    held += piece.length;
  }
}
