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
 * - `--heap-growing-percent=20`: the old generation is collected once it has grown by a fifth
 *   since the last collection, instead of V8's own factor (up to 4x the live heap while the
 *   collector keeps up). A login storm promotes each login's short-lived objects (its promise and
 *   task wait in the hash queue through several scavenges), and with V8's factor the 20 MB of them
 *   a storm of 10,000 left were never collected while heartbeats kept the process from looking
 *   idle: 7.2-8.0 KB per user at the end of an idle hold against 4.2-4.5 KB with it (three
 *   interleaved pairs, 2026-12-04). The price is more major collections under a load that
 *   promotes: fan-out's CPU per delivery read 0.28-0.34 µs against 0.23-0.30 µs (four pairs,
 *   about +10%), its peak RSS 110 MB against 122-158 MB; logins and the storm's chat p99 within
 *   their noise.
 * - MALLOC_ARENA_MAX=2: glibc gives every thread that allocates (the JIT's and the collector's
 *   helper threads, the hash thread) an arena of its own and keeps what they free: about 12 MB.
 *   An operator's own value wins.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=20'];
export const SERVER_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/** The environment of a server process: `env` with SERVER_ENV's variables where it has none. */
export function serverEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...SERVER_ENV, ...env };
}
