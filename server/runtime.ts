/**
 * How the server's Node process is started, whichever way it is started: `npm start`, the bench,
 * the systemd unit and the Docker image all use these (deploy/ spells them out; a spec checks
 * they match). Both can only be given when the process starts, so they live here, not in the
 * options. Measured at 10,000 logged-in, heartbeating users (README, "Getting in and holding on"):
 *
 * - `--max-semi-space-size=4`: under a login storm V8 grows its young generation to two 16 MB
 *   semi-spaces, and keeps them while heartbeats allocate (about 2.4 MB/s at 10,000 users, over
 *   the 1 MB/s below which V8 shrinks them): a fixed 32 MB that reads as 2 KB per user. Fan-out,
 *   idle CPU and login CPU measured the same with 4 MB.
 * - MALLOC_ARENA_MAX=2: glibc gives every thread that allocates (the JIT's and the collector's
 *   helper threads, the hash thread) an arena of its own and keeps what they free: about 12 MB.
 *   An operator's own value wins.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The environment of a server process: `env` with SERVER_ENV's variables where it has none. */
export function serverEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...SERVER_ENV, ...env };
}
