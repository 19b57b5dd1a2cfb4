/**
 * The name a received file is saved under (client/files/naming.ts): a sender's suggestion made
 * safe, literal inputs in, names out; and never over a file already there (real files).
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidate, safeFileName, saveUnique } from '../../../client/files/naming.js';

describe('client/files/naming', () => {
  it('keeps only the last part of a path: no ../, no absolute path, no Windows folder', () => {
    expect(safeFileName('../../.bashrc')).to.equal('bashrc');
    expect(safeFileName('/etc/passwd')).to.equal('passwd');
    expect(safeFileName('..\\..\\Windows\\win.ini')).to.equal('win.ini');
    expect(safeFileName('C:\\Users\\bob\\report.pdf')).to.equal('report.pdf');
    expect(safeFileName('reports/2026/q1.pdf')).to.equal('q1.pdf');
  });

  it('drops control characters, escapes and bidi overrides, so a name cannot rewrite the screen or hide its extension', () => {
    expect(safeFileName('report\u001b[2J\u0007.pdf')).to.equal('report[2J.pdf');
    expect(safeFileName('line\r\nbreak.txt')).to.equal('linebreak.txt');
    expect(safeFileName('invoice\u202Efdp.exe')).to.equal('invoicefdp.exe');
    expect(safeFileName('a\u0000b\u009bc.txt')).to.equal('abc.txt');
    expect(safeFileName('what?<is>"this"|*.txt')).to.equal('whatisthis.txt');
  });

  it('gives "file" for a name with nothing left, and no hidden or dot-only names', () => {
    for (const bad of ['', '..', '.', '../', '\u0001\u0002', '   ', '/']) expect(safeFileName(bad), JSON.stringify(bad)).to.equal('file');
    expect(safeFileName('.profile')).to.equal('profile');
    expect(safeFileName(' notes.txt. ')).to.equal('notes.txt');
  });

  it('cuts a long name to 200 bytes, keeping its extension and whole characters', () => {
    const long = safeFileName(`${'é'.repeat(300)}.tar.gz`);
    expect(Buffer.byteLength(long)).to.be.at.most(200);
    expect(long.endsWith('é.gz')).to.equal(true);
    expect(safeFileName(`${'a'.repeat(250)}.pdf`)).to.equal(`${'a'.repeat(196)}.pdf`);
  });

  it('numbers the names it tries: name, name (1), name (2), before the extension', () => {
    expect([0, 1, 2].map((n) => candidate('report.pdf', n))).to.deep.equal(['report.pdf', 'report (1).pdf', 'report (2).pdf']);
    expect(candidate('README', 1)).to.equal('README (1)');
    expect(candidate('archive.tar.gz', 1)).to.equal('archive.tar (1).gz');
  });

  it('saves under the first free name and never overwrites a file already there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-naming-'));
    try {
      writeFileSync(join(dir, 'a.txt'), 'old');
      writeFileSync(join(dir, 'a (1).txt'), 'older');
      const tmp = join(dir, '.part');
      writeFileSync(tmp, 'new');
      expect(saveUnique(tmp, dir, 'a.txt')).to.equal(join(dir, 'a (2).txt'));
      expect(readdirSync(dir).sort()).to.deep.equal(['a (1).txt', 'a (2).txt', 'a.txt']);
      expect(readFileSync(join(dir, 'a.txt'), 'utf8')).to.equal('old');
      expect(readFileSync(join(dir, 'a (2).txt'), 'utf8')).to.equal('new');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
