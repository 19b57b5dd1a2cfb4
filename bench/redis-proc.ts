/**
 * A real redis-server for the cluster bench and the cluster specs: started on a free port on
 * 127.0.0.1, in a temp folder of its own, and stopped (by its pid) when the run is done. It can be
 * killed and restarted on the same port and folder, to test what the cluster does when Redis goes
 * away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  pid(): number | undefined;
  port: number;
  url: string;
  dir: string;
  /** kill -9, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

/** Whether redis-server can be run here (CI installs it; see .ci/run). */
export async function haveRedis(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    p.once('error', () => resolve(false));
    p.once('exit', (code) => resolve(code === 0));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server; `appendonly` as a production server would have it (the cluster checks). */
export async function startRedis(options: { appendonly?: boolean } = {}): Promise<RedisServer> {
  if (!(await haveRedis())) throw new Error('redis-server is not installed (Debian: apt-get install redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'chat-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async () => {
    // appendfsync always: a kill -9 of Redis loses nothing the servers were told was written.
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.appendonly === false ? 'no' : 'yes', '--appendfsync', 'always', '--protected-mode', 'yes'];
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const deadline = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      c.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('Ready to accept connections')) {
          clearTimeout(deadline);
          resolve();
        }
      });
      c.once('exit', (code) => {
        clearTimeout(deadline);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(signal);
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: () => child?.pid,
    dir,
    kill: () => end('SIGKILL'),
    restart: launch,
    async stop() {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
