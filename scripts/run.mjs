#!/usr/bin/env node
/**
 * `npm start` and `npm run client`: builds only if a source changed since the last build
 * (scripts/build.mjs; a few milliseconds when nothing did), then runs the program in this same
 * process, so starting the client costs one Node start-up, not three.
 *
 *   node scripts/run.mjs client [options]    as `node dist/client/main.js [options]`
 *   node scripts/run.mjs server [options]    as `node dist/server/main.js [options]`
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ensureBuilt } from './build.mjs';

const [program, ...args] = process.argv.slice(2);
if (program !== 'client' && program !== 'server') {
  process.stderr.write('usage: node scripts/run.mjs client|server [options]\n');
  process.exit(2);
}
const main = join(DIST, program, 'main.js');
// Sources that do not compile: the last good build still runs, so a half-edited tree does not
// stop the chat (the compiler's errors are above).
if (!ensureBuilt()) {
  if (!existsSync(main)) process.exit(1);
  process.stderr.write('running the previous build\n');
}
// The program reads its options from process.argv, as if it had been started directly.
process.argv = [process.argv[0], main, ...args];
await import(pathToFileURL(main).href);
