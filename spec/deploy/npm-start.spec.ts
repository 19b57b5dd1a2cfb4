/**
 * `npm start` (scripts/run.mjs server) as a newcomer runs it: the server comes up in a child
 * process started with the Node flags and environment of server/runtime.ts, an operator's own
 * MALLOC_ARENA_MAX wins, a SIGTERM to the launcher drains the server, whose exit code the
 * launcher passes on, and a launcher killed outright takes the server with it.
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
  /** The server process the launcher started: its command line and environment, from /proc. */
  function server(launcher: Proc): { argv: string[]; env: string[] } {
    const pid = execFileSync('pgrep', ['-P', String(launcher.child.pid)], { encoding: 'utf8' }).trim();
    const read = (f: string) => readFileSync(`/proc/${pid}/${f}`, 'utf8').split('\0');
    return { argv: read('cmdline'), env: read('environ') };
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
    expect(readFileSync(join(dir, 'server.log'), 'utf8'), 'the server drained: it was stopped, not killed').to.include('Server stopped');
  });

  it('stops the server when the launcher is killed (SIGKILL): no server left holding the port', async function () {
    if (!existsSync('/proc/self/environ')) this.skip();
    const p = start();
    await p.line(/^Server listening/, 20_000);
    const pid = Number(execFileSync('pgrep', ['-P', String(p.child.pid)], { encoding: 'utf8' }).trim());
    p.child.kill('SIGKILL');
    await p.exited;
    const gone = () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z';
    for (const deadline = Date.now() + 15_000; !gone(); ) {
      expect(Date.now(), 'the server still runs').to.be.below(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(readFileSync(join(dir, 'server.log'), 'utf8'), 'it stopped, it was not killed').to.include('Server stopped');
  });

  it("keeps an operator's own MALLOC_ARENA_MAX", async function () {
    if (!existsSync('/proc/self/environ')) this.skip();
    const p = start({ MALLOC_ARENA_MAX: '4' });
    await p.line(/^Server listening/, 20_000);
    expect(server(p).env).to.include('MALLOC_ARENA_MAX=4');
  });
});
