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
};

/** The reason `e` (a failed file operation) gives, in words; its code or message if it is none of the usual. */
export function fileProblem(e: unknown): string {
  const { code, message } = e as NodeJS.ErrnoException;
  return (code === undefined ? undefined : WHY[code]) ?? code ?? message;
}
