import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from '../../common/make-dirs.js';

describe('makeDirs (mkdir -p)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'make-dirs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the missing folders, with the mode given, and leaves one that exists as it is', () => {
    const deep = join(dir, 'a', 'b', 'c');
    makeDirs(deep, 0o700);
    expect(statSync(deep).isDirectory()).to.equal(true);
    expect(statSync(join(dir, 'a')).mode & 0o777).to.equal(0o700);
    makeDirs(deep);
    makeDirs(dir);
    expect(statSync(deep).isDirectory()).to.equal(true);
  });

  it('throws the first failure: a file in the way', () => {
    writeFileSync(join(dir, 'file'), '');
    expect(() => makeDirs(join(dir, 'file', 'sub'))).to.throw().with.property('code', 'ENOTDIR');
    expect(existsSync(join(dir, 'file', 'sub'))).to.equal(false);
  });

  it('returns with an error for a folder under /proc, where Node 20 recursive mkdir never returns', function () {
    if (!existsSync('/proc/self')) this.skip();
    // In a child, so that a regression fails here instead of hanging the run.
    const script = `import('${new URL('../../common/make-dirs.js', import.meta.url).href}').then((m) => m.makeDirs('/proc/tinychat-spec/x')).catch((e) => { console.log(e.code); })`;
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 10_000, encoding: 'utf8' });
    expect(child.signal, 'it returned').to.equal(null);
    expect(child.stdout.trim()).to.equal('ENOENT');
  });
});
