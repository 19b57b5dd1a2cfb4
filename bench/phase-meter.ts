/**
 * Per-phase accounting: wall time, server CPU and RSS (from /proc), load-generator CPU (from the
 * workers), the server threads' waits for a CPU and the machine's idle share, so the report can
 * say who was busy in each phase and so which side was the limit.
 */
import type { WorkerPool } from './pool.js';
import type { PhaseFigures } from './report.js';
import { cpus } from 'node:os';
import { machineIdleSeconds, NO_THREAD_TIMES, type Meter, type ThreadTimes } from './server-proc.js';

export class PhaseMeter {
  readonly done: PhaseFigures[] = [];
  private current: { name: string; t: number; serverCpu: number; threads: ThreadTimes; idle: number; loadCpu: number } | null = null;

  constructor(
    private readonly server: Meter | null,
    private readonly pool: WorkerPool,
  ) {}

  async begin(name: string): Promise<void> {
    const loadCpu = await this.pool.cpuSeconds(true);
    this.server?.takePeakKB();
    this.current = { name, t: performance.now(), serverCpu: this.server?.cpuSeconds() ?? NaN, threads: this.threads(), idle: machineIdleSeconds(), loadCpu };
  }

  async end(): Promise<PhaseFigures> {
    const c = this.current!;
    const seconds = (performance.now() - c.t) / 1000;
    const serverCpu = this.server?.cpuSeconds() ?? NaN;
    const threads = this.threads();
    const loadCpu = await this.pool.cpuSeconds();
    const figures: PhaseFigures = {
      name: c.name,
      seconds,
      serverCpuS: serverCpu - c.serverCpu,
      serverMainCpuS: threads.main - c.threads.main,
      serverLowCpuS: threads.low - c.threads.low,
      serverMainWaitS: threads.mainWait - c.threads.mainWait,
      serverLowWaitS: threads.lowWait - c.threads.lowWait,
      machineIdle: (machineIdleSeconds() - c.idle) / (seconds * cpus().length),
      loadCpuS: loadCpu - c.loadCpu,
      serverRssMB: (this.server?.rssKB() ?? NaN) / 1024,
      serverPeakMB: (this.server?.takePeakKB() ?? NaN) / 1024,
    };
    this.done.push(figures);
    return figures;
  }

  private threads(): ThreadTimes {
    return this.server?.threadSeconds() ?? NO_THREAD_TIMES;
  }
}
