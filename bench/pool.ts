/**
 * The parent's side of the load generator: forks the worker processes, deals out the clients,
 * and turns the IPC conversation into awaitable calls. A worker that dies or reports a fatal
 * error fails the run with its message rather than leaving the bench waiting.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Command, Cpu, LoginResult, Progress, Reply, Role, WorkerSetup } from './ipc.js';

type Kind = Reply['kind'];
type ReplyOf<K extends Kind> = Extract<Reply, { kind: K }>;

class Worker {
  cpu: Cpu = { user: 0, system: 0 };
  /** Clients done (logged in or failed) in the current login phase, as last reported. */
  loginsDone = 0;
  private readonly waiting = new Map<Kind, { resolve: (r: Reply) => void; reject: (e: Error) => void }[]>();

  constructor(
    readonly child: ChildProcess,
    onProgress: () => void,
  ) {
    child.on('message', (m: Reply | Progress) => {
      if (m.kind === 'progress') {
        this.loginsDone = m.done;
        return onProgress();
      }
      this.cpu = m.cpu;
      if (m.kind === 'fatal') return this.failAll(new Error(`bench worker failed: ${m.message}`));
      this.waiting.get(m.kind)?.shift()?.resolve(m);
    });
    child.on('exit', (code) => this.failAll(new Error(`bench worker exited (code ${code})`)));
  }

  request<K extends Kind>(command: Command, kind: K): Promise<ReplyOf<K>> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(kind) ?? [];
      list.push({ resolve: resolve as (r: Reply) => void, reject });
      this.waiting.set(kind, list);
      this.child.send(command);
    });
  }

  private failAll(error: Error): void {
    for (const list of this.waiting.values()) for (const w of list.splice(0)) w.reject(error);
  }
}

export class WorkerPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Forks `count` workers and sets each one up; `onProgress` gets the login progress summed. */
  static async start(
    count: number,
    setupOf: (worker: number) => WorkerSetup,
    onProgress: (done: number) => void,
    execArgv: string[] = [],
  ): Promise<WorkerPool> {
    const workers: Worker[] = Array.from({ length: count }, () => {
      const child = fork(new URL('./worker.js', import.meta.url), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return new Worker(child, () => onProgress(workers.reduce((n, w) => n + w.loginsDone, 0)));
    });
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(workers.map((w, i) => w.request({ cmd: 'setup', setup: setupOf(i) }, 'ready')));
    } catch (e) {
      pool.kill();
      throw e;
    }
    return pool;
  }

  /** Sends one command to every worker and waits for every reply of the given kind. */
  all<K extends Kind>(command: Command, kind: K): Promise<ReplyOf<K>[]> {
    return Promise.all(this.workers.map((w) => w.request(command, kind)));
  }

  /** Logs in every worker's clients of one role; the progress counts start from 0 for it. */
  async login(role: Role): Promise<LoginResult[]> {
    for (const w of this.workers) w.loginsDone = 0;
    return (await this.all({ cmd: 'login', role }, 'logged-in')).map((r) => r.result);
  }

  /** Sends a command that has no reply of its own. */
  tell(command: Command): void {
    for (const w of this.workers) w.child.send(command);
  }

  /** CPU seconds used by all workers together, asked fresh; `phase` marks a new phase. */
  async cpuSeconds(phase = false): Promise<number> {
    await this.all({ cmd: 'cpu', phase }, 'cpu');
    return this.workers.reduce((s, w) => s + (w.cpu.user + w.cpu.system) / 1e6, 0);
  }

  /** Closes every client and ends the workers (given a moment to exit by themselves). */
  async quit(): Promise<void> {
    const exited = this.workers.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(0) : w.child.once('exit', resolve))));
    await this.all({ cmd: 'quit' }, 'bye').catch(() => undefined);
    await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 5000))]);
    this.kill();
  }

  kill(): void {
    for (const w of this.workers) if (w.child.exitCode === null) w.child.kill();
  }
}
