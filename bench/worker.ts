/**
 * A load-generator process, forked by the bench (see pool.ts). It owns a share of the clients:
 * connects and logs them in, sends heartbeats, sends and counts chat lines, and answers each
 * command from the parent with one reply over IPC (see ipc.ts).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BenchClient, Tally, type LoadClient } from './client.js';
import { HeartbeatPump } from './heartbeats.js';
import { IrcBenchClient } from './irc-client.js';
import type { Command, LoginResult, Reply, Role, WorkerSetup } from './ipc.js';
import { Senders } from './senders.js';

const DRAIN_CHECK_MS = 10;
const PROGRESS_EVERY_MS = 100;

let setup: WorkerSetup;
let clients: LoadClient[] = [];
let tally = new Tally();
let pump: HeartbeatPump | null = null;
let senders: Senders | null = null;
const loopDelay = monitorEventLoopDelay({ resolution: 2 });
loopDelay.enable();

type WithoutCpu<T> = T extends unknown ? Omit<T, 'cpu'> : never;

function reply(r: WithoutCpu<Reply>, then: () => void = () => {}): void {
  process.send!({ ...r, cpu: process.cpuUsage() }, then);
}

async function handle(c: Command): Promise<void> {
  switch (c.cmd) {
    case 'setup':
      setup = c.setup;
      tally = new Tally();
      clients = setup.clients.map((spec) =>
        setup.irc ? new IrcBenchClient(spec, setup.senders, tally, setup.ircAccount) : new BenchClient(spec, setup.senders, tally),
      );
      pump = new HeartbeatPump(setup.host, setup.heartbeatMs);
      senders = new Senders(clients, tally);
      return reply({ kind: 'ready' });
    case 'login':
      return reply({ kind: 'logged-in', result: await loginAll(c.role) });
    case 'chat': {
      const plan = { messages: c.messages < 0 ? Infinity : c.messages, rate: c.rate, senders: setup.senders, window: setup.window, startNs: c.startNs };
      return reply({ kind: 'sent', sent: await senders!.run(plan) });
    }
    case 'stop':
      return senders!.stop(); // the pending `chat` command replies
    case 'drain':
      return reply({ kind: 'drained', expected: await drain(c.total, c.idleMs) });
    case 'stats':
      return reply({
        kind: 'stats',
        stats: {
          received: tally.received,
          outOfOrder: tally.outOfOrder,
          latencyUs: tally.latencyUs.toData(),
          firstSendNs: senders!.firstSendNs,
          lastRecvNs: tally.lastRecvNs,
          sendLagMaxMs: senders!.lagMaxMs,
          heartbeats: pump!.sent,
          heartbeatLateMaxMs: pump!.lateMaxMs,
          loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
          loopDelayMaxMs: loopDelay.max / 1e6,
          closed: tally.closed,
          errors: tally.errors,
          notices: tally.notices,
          bytesIn: tally.bytesIn,
          reads: tally.reads,
        },
      });
    case 'cpu':
      if (c.phase) loopDelay.reset();
      return reply({ kind: 'cpu' });
    case 'quit':
      void pump?.close();
      for (const client of clients) client.destroy();
      return reply({ kind: 'bye' }, () => process.exit(0));
  }
}

/** The server a client logs in to: spread evenly over a cluster's servers. */
function portFor(index: number): number {
  return setup.ports ? setup.ports[index % setup.ports.length]! : setup.port;
}

/** Logs in this worker's clients of one role, `concurrency` at a time, reporting progress. */
async function loginAll(role: Role): Promise<LoginResult> {
  const mine = clients.filter((c) => c.spec.role === role);
  const result: LoginResult = { role, times: [], failures: {} };
  let next = 0;
  let done = 0;
  let reported = 0;
  const progress = setInterval(() => {
    if (done !== reported) process.send!({ kind: 'progress', done: (reported = done) });
  }, PROGRESS_EVERY_MS);
  const lane = async () => {
    while (next < mine.length) {
      const client = mine[next++]!;
      try {
        result.times.push(await client.login(setup.host, portFor(client.spec.index), setup.loginTimeout));
        if (client instanceof BenchClient) pump!.add(client);
      } catch (e) {
        const reason = (e as Error).message;
        result.failures[reason] = (result.failures[reason] ?? 0) + 1;
      }
      done++;
    }
  };
  const lanes = setup.concurrency > 0 ? Math.min(setup.concurrency, mine.length) : mine.length;
  await Promise.all(Array.from({ length: lanes }, lane));
  clearInterval(progress);
  process.send!({ kind: 'progress', done });
  return result;
}

/**
 * Waits until every chat client here has received all `total` lines (but its own, where its
 * protocol does not echo them: see LoadClient.echoes), or until nothing has arrived for `idleMs`
 * (then the rest is lost, and the report says so). Resolves with the deliveries expected here.
 */
function drain(total: number, idleMs: number): Promise<number> {
  const chat = clients.filter((c) => c.spec.role === 'chat');
  const expected = chat.length * total - senders!.unechoed;
  return new Promise((resolve) => {
    let last = tally.received;
    let lastChange = performance.now();
    const timer = setInterval(() => {
      if (tally.received !== last) {
        last = tally.received;
        lastChange = performance.now();
      }
      if (tally.received >= expected || performance.now() - lastChange > idleMs) {
        clearInterval(timer);
        resolve(expected);
      }
    }, DRAIN_CHECK_MS);
  });
}

if (!process.send) {
  process.stderr.write('bench/worker.js is started by the bench (npm run bench), not by hand\n');
  process.exit(2);
}
process.on('message', (c: Command) => {
  handle(c).catch((e: unknown) => reply({ kind: 'fatal', message: (e as Error).stack ?? String(e) }));
});
// The parent going away (Ctrl-C, crash) ends the worker too.
process.on('disconnect', () => process.exit(0));
