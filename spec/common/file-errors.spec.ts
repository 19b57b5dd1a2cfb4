import { expect } from 'chai';
import { fileProblem } from '../../common/file-errors.js';

/** An error as Node's fs makes it. */
const fsError = (code: string, words: string, syscall: string, path?: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: ${words}, ${syscall}${path === undefined ? '' : ` '${path}'`}`), { code, syscall, ...(path === undefined ? {} : { path }) });

describe('common/file-errors', () => {
  it('says the usual reasons in words, without the code, the system call or the path again', () => {
    expect(fileProblem(fsError('ENOENT', 'no such file or directory', 'open', '/d/x'))).to.equal('no such file');
    expect(fileProblem(fsError('EACCES', 'permission denied', 'open', '/d/x'))).to.equal('permission denied');
    expect(fileProblem(fsError('ENOSPC', 'no space left on device', 'write'))).to.equal('no space left on the disk');
    expect(fileProblem(fsError('EMFILE', 'too many open files', 'open', '/d/x'))).to.equal('too many files open in this process (see ulimit -n)');
  });

  it("keeps Node's words, with the code, for a code it has none of its own for (the code alone only when there are none)", () => {
    expect(fileProblem(fsError('EXDEV', 'cross-device link not permitted', 'rename', '/a'))).to.equal('cross-device link not permitted (EXDEV)');
    expect(fileProblem(Object.assign(new Error('odd'), { code: 'EODD' }))).to.equal('odd (EODD)');
    expect(fileProblem(Object.assign(new Error(''), { code: 'EODD' }))).to.equal('EODD');
  });

  it('gives the message of an error that is no file error', () => {
    expect(fileProblem(new Error('the lock is held by pid 12'))).to.equal('the lock is held by pid 12');
    expect(fileProblem('thrown text')).to.equal('thrown text');
  });

  it('names the file the error is about when it is not the one the caller names', () => {
    const temp = fsError('EISDIR', 'illegal operation on a directory', 'open', '/d/.offline.jsonl.tmp');
    expect(fileProblem(temp, '/d/offline.jsonl')).to.equal('it is a folder (/d/.offline.jsonl.tmp)');
    expect(fileProblem(temp, '/d/.offline.jsonl.tmp')).to.equal('it is a folder');
    expect(fileProblem(fsError('EIO', 'i/o error', 'write'), '/d/offline.jsonl'), 'a write names no path').to.equal('input/output error');
    const rename = Object.assign(fsError('EISDIR', 'illegal operation on a directory', 'rename', '/d/a'), { dest: '/d/b' });
    expect(fileProblem(rename, '/d/a'), 'a rename: both files').to.equal('it is a folder (/d/a -> /d/b)');
  });
});
