/**
 * The cluster scenario's target: a redis-server of its own and several real chat servers joined
 * to it with --redis, the accounts copied in with --import-users as an operator would. Clients
 * are spread over the servers; the target's meter is the sum of every process (Redis included,
 * since it does work for the cluster), and each process is also measured on its own.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedis, type RedisServer } from './redis-proc.js';
import { ProcMeter, spawnTarget, type Meter, type Target, type ThreadTimes } from './server-proc.js';

const run = promisify(execFile);

/** The meters of several processes read as one: CPU and memory add up. */
class SumMeter implements Meter {
  constructor(private readonly meters: Meter[]) {}
  cpuSeconds(): number {
    return this.sum((m) => m.cpuSeconds());
  }
  rssKB(): number {
    return this.sum((m) => m.rssKB());
  }
  /** The sum of each process's own peak: an upper bound on the peak of the whole. */
  hwmKB(): number {
    return this.sum((m) => m.hwmKB());
  }
  takePeakKB(): number {
    return this.sum((m) => m.takePeakKB());
  }
  threadSeconds(): ThreadTimes {
    const each = this.meters.map((m) => m.threadSeconds());
    const add = (key: keyof ThreadTimes) => each.reduce((n, t) => n + t[key], 0);
    return { main: add('main'), low: add('low'), mainWait: add('mainWait'), lowWait: add('lowWait') };
  }
  close(): void {
    for (const m of this.meters) m.close();
  }
  private sum(get: (m: Meter) => number): number {
    return this.meters.reduce((n, m) => n + get(m), 0);
  }
}

/**
 * Starts Redis, imports `usersFile`, then `nodes` servers with `args` (each on ports chosen by
 * the system) and names them n1..nN. Anything started is stopped again if a later step fails.
 */
export async function startClusterTarget(server: URL, args: string[], usersFile: string, nodes: number, nodeArgs: string[]): Promise<Target> {
  // No persistence: the bench's Redis lives for one run, so --redis-ephemeral is the honest setting.
  const redis = await startRedis({ appendonly: false });
  const servers: Target[] = [];
  try {
    const cluster = ['--redis', redis.url, '--redis-ephemeral'];
    await run(process.execPath, [server.pathname, ...cluster, '--import-users', usersFile]);
    for (let i = 1; i <= nodes; i++) servers.push(await spawnTarget(server, [...args, ...cluster, '--node-id', `n${i}`], nodeArgs));
  } catch (e) {
    await stopAll(servers, redis);
    throw e;
  }
  const parts = servers.map((s, i) => ({ name: `server n${i + 1}`, meter: s.meter! }));
  const redisPid = redis.pid();
  if (redisPid !== undefined) parts.push({ name: 'redis', meter: new ProcMeter(redisPid) });
  const first = servers[0]!;
  return {
    host: first.host,
    port: first.port,
    ports: servers.map((s) => s.port),
    parts,
    meter: new SumMeter(parts.map((p) => p.meter)),
    output: {
      get stdout() {
        return servers.reduce((n, s) => n + s.output.stdout, 0);
      },
      get stderr() {
        return servers.reduce((n, s) => n + s.output.stderr, 0);
      },
    },
    // Any server's console answers for the whole cluster (stats counts every server).
    console: (command, answer) => first.console(command, answer),
    stop: () => stopAll(servers, redis),
  };
}

async function stopAll(servers: Target[], redis: RedisServer): Promise<void> {
  await Promise.all(servers.map((s) => s.stop()));
  await redis.stop();
}
