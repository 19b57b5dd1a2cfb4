/**
 * A cluster for the specs: a real redis-server of its own (bench/redis-proc.ts) and real
 * servers joined to it, each on 127.0.0.1 port 0 with its own temp folder.
 */
import type { ServerConfig } from '../../server/config.js';
import { startServer, type Running } from './harness.js';
import { haveRedis, startRedis, type RedisServer } from '../../bench/redis-proc.js';

export interface Cluster {
  redis: RedisServer;
  nodes: Running[];
  /** Another server joined to the same Redis. */
  add(config?: Partial<ServerConfig>): Promise<Running>;
  stop(): Promise<void>;
}

export async function startCluster(n: number, config: Partial<ServerConfig> = {}): Promise<Cluster> {
  const redis = await startRedis();
  const nodes: Running[] = [];
  const add = async (more: Partial<ServerConfig> = {}) => {
    const node = await startServer({ redis: redis.url, nodeId: `node${nodes.length + 1}`, ...config, ...more });
    nodes.push(node);
    return node;
  };
  try {
    for (let i = 0; i < n; i++) await add();
  } catch (e) {
    await Promise.all(nodes.map((s) => s.stop()));
    await redis.stop();
    throw e;
  }
  return {
    redis,
    nodes,
    add,
    async stop() {
      await Promise.all(nodes.map((s) => s.stop().catch(() => {})));
      await redis.stop();
    },
  };
}

/** In a describe block: fails the block at once, saying how to fix it, when redis-server is missing. */
export function needRedis(): void {
  before(async () => {
    if (!(await haveRedis())) throw new Error('redis-server is not installed (apt-get install redis-server; .ci/run does)');
  });
}
