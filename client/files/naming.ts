/**
 * Where a received file goes: a name the sender suggested, made safe, in --downloads, never over
 * a file already there. Pure but for `saveUnique`, which touches the disk.
 *
 * A suggested name is only a suggestion from someone else: it loses any folder part (`../`,
 * `/etc/`, `C:\`), every control character and bidi override (a name must not rewrite the
 * screen or hide its extension), leading and trailing dots and blanks (`..`, a hidden file), and
 * is cut to 200 bytes keeping its extension. What is left, or `file`, is the name.
 */
import { linkSync, unlinkSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Controls (C0, DEL, C1), bidi overrides and isolates, and characters no file system takes. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069<>:"|?*]/g;
const MAX_BYTES = 200;

export function safeFileName(suggested: string): string {
  const last = suggested.split(/[/\\]/).at(-1) ?? '';
  let name = last.normalize('NFC').replace(UNSAFE, '').replace(/^[\s.]+|[\s.]+$/g, '');
  if (Buffer.byteLength(name, 'utf8') > MAX_BYTES) {
    const ext = extname(name).slice(0, 20);
    const stem = [...name.slice(0, name.length - ext.length)];
    while (Buffer.byteLength(stem.join('') + ext, 'utf8') > MAX_BYTES) stem.pop();
    name = stem.join('') + ext;
  }
  return name === '' ? 'file' : name;
}

/** `report.pdf`, then `report (1).pdf`, `report (2).pdf`, ... */
export function candidate(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extname(name);
  const stem = ext === '' || ext === name ? name : name.slice(0, -ext.length);
  return `${stem} (${n})${ext === name ? '' : ext}`;
}

/**
 * Gives the finished file at `tmp` its name in `dir`: the first free one of `name`, `name (1)`,
 * ... A hard link fails if the name exists, so two files arriving at once never take one name
 * and nothing is ever overwritten (a rename would). Returns the path it got.
 */
export function saveUnique(tmp: string, dir: string, name: string): string {
  for (let n = 0; n < 10_000; n++) {
    const path = join(dir, candidate(name, n));
    try {
      linkSync(tmp, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    unlinkSync(tmp);
    return path;
  }
  throw new Error(`no free name for ${name} in ${dir}`);
}
