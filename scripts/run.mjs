#!/usr/bin/env node
/**
 * `npm start` and `npm run client`: builds only if a source changed since the last build
 * (scripts/build.mjs; a few milliseconds when nothing did), then runs the program: the client in
 * this same process, so starting it costs one Node start-up, not three; the server in a child
 * process with the Node flags it is always started with (server/runtime.ts).
 *
 *   node scripts/run.mjs client [options]    as `node dist/client/main.js [options]`
 *   node scripts/run.mjs server [options]    as `MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --heap-growing-percent=20 dist/server/main.js [options]`
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
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
if (program === 'server') {
  // The server gets a process of its own, started with the Node flags and environment that every
  // way of starting it shares (server/runtime.ts): they can only be given when a process starts
  // (a previous build from before that file: none). SIGINT, SIGTERM and SIGHUP sent to this
  // process are passed on (the server's stop is idempotent, so a Ctrl-C that reaches both
  // processes stops it once); its exit code becomes ours. The 'ipc' channel closes if we die,
  // even by SIGKILL, and the server then stops too rather than live on holding the port and the
  // users file's lock.
  const runtime = join(DIST, 'server', 'runtime.js');
  const { NODE_FLAGS, serverEnv } = existsSync(runtime) ? await import(pathToFileURL(runtime).href) : { NODE_FLAGS: [], serverEnv: () => process.env };
  const child = spawn(process.execPath, [...NODE_FLAGS, main, ...args], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], env: serverEnv() });
  child.on('error', (e) => {
    process.stderr.write(`chat-server: cannot start node: ${e.message}\n`);
    process.exit(1);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  // Killed by a signal: the shell's convention, 128 + its number.
  child.on('exit', (code, signal) => process.exit(signal === null ? (code ?? 1) : 128 + (constants.signals[signal] ?? 0)));
} else {
  // The client reads its options from process.argv, as if it had been started directly.
  process.argv = [process.argv[0], main, ...args];
  await import(pathToFileURL(main).href);
}
