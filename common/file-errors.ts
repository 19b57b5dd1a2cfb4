/**
 * Why a file or folder could not be used, in words, for one-line errors that already name the
 * path: "no such file", where Node says "ENOENT: no such file or directory, open 'x'" (the
 * path again, and a system call the reader never made) or a bare "ENOENT".
 */
const WHY: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the disk',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file is too large for the file system',
  EIO: 'input/output error',
  EMFILE: 'too many files open in this process (see ulimit -n)',
  ENFILE: 'too many files open on this machine',
  EEXIST: 'it already exists',
  ENOTEMPTY: 'the folder is not empty',
  EBUSY: 'it is busy or locked',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/**
 * The reason `e` (a failed file operation) gives, in words. Codes not listed above keep Node's
 * description with the code ("cross-device link not permitted (EXDEV)"); an error that is no
 * file error gives its message. With `file`, the one the caller's line names: the file the error
 * is about, when it is another (a temporary file beside it, a folder on the way), and both files
 * of a rename or link, since either may be the one at fault.
 */
export function fileProblem(e: unknown, file?: string): string {
  const { code, message, path, dest } = e as NodeJS.ErrnoException & { dest?: string };
  const why = code === undefined ? message ?? String(e) : WHY[code] ?? nodeWords(code, message);
  if (file === undefined || path === undefined) return why;
  if (dest !== undefined) return `${why} (${path} -> ${dest})`;
  return path === file ? why : `${why} (${path})`;
}

/** "EXDEV: cross-device link not permitted, rename 'a' -> 'b'" as "cross-device link not permitted (EXDEV)". */
function nodeWords(code: string, message: string | undefined): string {
  const words = message?.startsWith(`${code}: `) ? message.slice(code.length + 2).split(',')[0]!.trim() : '';
  // A message of another shape (Node's ERR_* codes) is kept whole: it is all there is to say.
  if (words === '') return message ? `${message} (${code})` : code;
  return `${words} (${code})`;
}
