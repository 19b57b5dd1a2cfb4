#!/usr/bin/env node
/**
 * Builds dist/ from the TypeScript sources without ever leaving a broken or half-built dist/
 * behind: the compiler writes into a fresh folder of its own, and only a finished build replaces
 * dist/ (two renames). A build that fails leaves the working one in place.
 *
 *   node scripts/build.mjs              a fresh build (npm run build, npm test, npm ci)
 *   node scripts/build.mjs --if-stale   nothing, unless a source changed since the last build
 *                                       (npm run bench): a few milliseconds
 *   --out DIR                           build into DIR instead of dist
 *
 * scripts/run.mjs uses the same check before it starts a program (npm start, npm run client).
 *
 * "Changed" compares modification times: every .ts file and folder under the source folders
 * (a folder's time moves when a file in it is added, removed or renamed), tsconfig.json and
 * package.json, against the stamp the last build left in dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['common', 'server', 'client', 'spec', 'bench'];
const CONFIG = ['tsconfig.json', 'package.json'];
const STAMP = '.built';

/** Where the build goes by default. */
export const DIST = join(ROOT, 'dist');

/** The newest modification time among the sources, the folders holding them and the config files. */
function newestSource() {
  let newest = 0;
  const see = (path) => (newest = Math.max(newest, statSync(path).mtimeMs));
  for (const f of CONFIG) see(join(ROOT, f));
  for (const top of SOURCES) {
    const dir = join(ROOT, top);
    see(dir);
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isDirectory() || /\.c?ts$/.test(entry.name)) see(join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return newest;
}

/** Whether `out` is missing, or older than a source. */
export function stale(out = DIST) {
  const stamp = join(out, STAMP);
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newestSource();
}

/**
 * Compiles into a fresh folder, then puts it in the place of `out`. False when the compiler
 * failed: `out` is then as it was.
 */
export function build(out = DIST) {
  // Folders of this process's own, so two builds at once do not write into each other.
  const next = join(dirname(out), `.dist-next-${process.pid}`);
  const old = join(dirname(out), `.dist-old-${process.pid}`);
  rmSync(next, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', ROOT, '--outDir', next], { stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(next, { recursive: true, force: true });
    process.stderr.write(`build failed; ${existsSync(out) ? `the previous build in ${out} is untouched` : 'nothing was built'}\n`);
    return false;
  }
  // Stamped with the time the compiler started: a source saved during the build counts as newer.
  const stamp = join(next, STAMP);
  writeFileSync(stamp, '');
  utimesSync(stamp, new Date(started), new Date(started));
  if (existsSync(out)) renameSync(out, old);
  try {
    renameSync(next, out);
  } catch (e) {
    // Another build landed first: keep it, drop ours.
    if (!existsSync(out) && existsSync(old)) renameSync(old, out);
    rmSync(next, { recursive: true, force: true });
    if (!existsSync(out)) throw e;
  }
  rmSync(old, { recursive: true, force: true });
  return true;
}

/** Builds when a source changed since the last build (or nothing was built yet); false if that failed. */
export function ensureBuilt(out = DIST) {
  if (!stale(out)) return true;
  process.stderr.write('Sources changed since the last build: building…\n');
  return build(out);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const outArg = args.indexOf('--out');
  const out = outArg >= 0 ? resolve(ROOT, args[outArg + 1] ?? '') : DIST;
  const ok = args.includes('--if-stale') ? ensureBuilt(out) : build(out);
  process.exitCode = ok ? 0 : 1;
}
