/**
 * `npm start` (scripts/run.mjs server) as a newcomer runs it: the server comes up in a child
 * process started with the Node flags and environment of server/runtime.ts, an operator's own
 * MALLOC_ARENA_MAX wins, SIGTERM, SIGINT and SIGHUP to the launcher reach the server, whose exit
 * code the launcher passes on, and a launcher killed outright takes the server with it.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_ENV, NODE_FLAGS } from '../../server/runtime.js';
import { killAll, Proc } from '../support/proc.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('npm start (scripts/run.mjs server)', function () {
  this.timeout(30_000);
  let dir: string;
  const procs: Proc[] = [];
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chat-start-'))));
  afterEach(async () => {
    await killAll(procs);
    rmSync(dir, { recursive: true, force: true });
  });

  function start(env: Record<string, string> = {}): Proc {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TINYCHAT_') && k !== 'MALLOC_ARENA_MAX'));
    const args = ['--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'), '--data-dir', join(dir, 'data')];
    const p = new Proc(spawn(process.execPath, [join(ROOT, 'scripts', 'run.mjs'), 'server', ...args], { stdio: 'pipe', cwd: dir, env: { ...inherited, ...env } }));
    procs.push(p);
    return p;
  }
  /** The server process the launcher started. */
  const serverPid = (launcher: Proc) => Number(execFileSync('pgrep', ['-P', String(launcher.child.pid)], { encoding: 'utf8' }).trim());
  /** Its command line and environment, from /proc. */
  function server(launcher: Proc): { argv: string[]; env: string[] } {
    const read = (f: string) => readFileSync(`/proc/${serverPid(launcher)}/${f}`, 'utf8').split('\0');
    return { argv: read('cmdline'), env: read('environ') };
  }
  /** The server's log file so far (written every 50 ms at most, so perhaps not there yet). */
  const log = () => (existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '');
  /** Waits (at most 15 s) until `done` holds: another process's doing, not a timer of ours. */
  async function until(done: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 15_000; !done(); ) {
      expect(Date.now(), what).to.be.below(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('starts the server with the Node flags and environment of server/runtime.ts, and passes SIGTERM on', async function () {
    if (!existsSync('/proc/self/environ')) this.skip();
    const p = start();
    await p.line(/^Server listening/, 20_000);
    const { argv, env } = server(p);
    expect(argv).to.include.members([...NODE_FLAGS]);
    expect(argv.indexOf(NODE_FLAGS[0]!)).to.be.below(argv.findIndex((a) => a.endsWith('main.js')));
    for (const [name, value] of Object.entries(SERVER_ENV)) expect(env).to.include(`${name}=${value}`);
    p.child.kill('SIGTERM');
    expect(await p.exitCode(), p.err.join('\n')).to.equal(0);
    expect(log(), 'the server drained: it was stopped, not killed').to.include('Server stopped');
  });

  it('passes SIGHUP on (the log file is reopened) and SIGINT (the server stops once, exit 0)', async function () {
    const p = start();
    await p.line(/^Server listening/, 20_000);
    p.child.kill('SIGHUP');
    await until(() => log().includes('SIGHUP: log file reopened'), 'no reopened log file');
    p.child.kill('SIGINT');
    expect(await p.exitCode(), p.err.join('\n')).to.equal(0);
    expect(log().match(/Server stopped/g)).to.have.length(1);
  });

  it('stops the server when the launcher is killed (SIGKILL): no server left holding the port', async function () {
    if (!existsSync('/proc/self/environ')) this.skip();
    const p = start();
    await p.line(/^Server listening/, 20_000);
    const pid = serverPid(p);
    p.child.kill('SIGKILL');
    await p.exited;
    await until(() => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z', 'the server still runs');
    expect(log(), 'it stopped, it was not killed').to.include('Server stopped');
    expect(log(), 'and says why').to.include("INFO npm start's launcher is gone: stopping the server");
  });

  it("keeps an operator's own MALLOC_ARENA_MAX", async function () {
    if (!existsSync('/proc/self/environ')) this.skip();
    const p = start({ MALLOC_ARENA_MAX: '4' });
    await p.line(/^Server listening/, 20_000);
    expect(server(p).env).to.include('MALLOC_ARENA_MAX=4');
  });
});
