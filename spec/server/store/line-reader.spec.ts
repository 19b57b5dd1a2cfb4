/**
 * Reading a JSON-lines file a piece at a time, for real in a temp folder: rows across the pieces
 * read, line numbers, the last row marked (a crash tears only that one), a row too long skipped
 * without being held.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRows, type Row } from '../../../server/store/line-reader.js';

describe('readRows (real files)', () => {
  let dir: string;
  const read = (text: string, maxRow?: number) => {
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, text);
    const rows: Row[] = [];
    readRows(path, (row) => rows.push(row), maxRow);
    return rows;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-rows-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives each row with its number and size, skipping empty ones, and marks the last', () => {
    expect(read('a\n\nbcd\n')).to.deep.equal([
      { text: 'a', number: 1, bytes: 2, last: false },
      { text: 'bcd', number: 3, bytes: 4, last: true },
    ]);
  });

  it('marks a torn row (no newline) as the last, the one before not', () => {
    const rows = read('a\n{"torn');
    expect(rows.map((r) => [r.text, r.last])).to.deep.equal([
      ['a', false],
      ['{"torn', true],
    ]);
  });

  it('puts together rows that span the pieces read, UTF-8 included', () => {
    const long = `${'é'.repeat(400_000)}✓`; // 800,003 bytes: rows cross the 1 MiB pieces
    const rows = read(`${long}\n${long}\n${long}\n`, 2 * 1024 * 1024);
    expect(rows.map((r) => r.text === long)).to.deep.equal([true, true, true]);
    expect(rows.map((r) => r.number)).to.deep.equal([1, 2, 3]);
  });

  it('passes over a row longer than the limit without its text, and goes on', () => {
    const rows = read(`a\n${'x'.repeat(3 * 1024 * 1024)}\nb\n`, 1024);
    expect(rows.map((r) => [r.text, r.number, r.bytes])).to.deep.equal([
      ['a', 1, 2],
      [null, 2, 3 * 1024 * 1024 + 1],
      ['b', 3, 2],
    ]);
  });

  it('reads an empty file as no rows, and throws for a file that cannot be read', () => {
    expect(read('')).to.deep.equal([]);
    expect(() => readRows(join(dir, 'none.jsonl'), () => {})).to.throw(/ENOENT/);
  });
});
