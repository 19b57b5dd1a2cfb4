/**
 * The process under test: spawning it (the real server or the floor relay), reading its ports from
 * the ready line, and measuring it from outside through /proc (CPU seconds from /proc/PID/stat,
 * memory from /proc/PID/status), so the measurement costs the server nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { NODE_FLAGS, serverEnv } from '../server/runtime.js';
import { HASH_THREAD_NICE } from '../server/store/hash-nice.js';
import { BenchError } from './errors.js';

const READY = /listening on (?:tcp|tls):\/\/(\S+):(\d+)/;
/** The server's line naming its IRC port (printed after the ready line, with --irc-port). */
export const IRC_READY = /IRC listening on irc:\/\/(\S+):(\d+)/;
const READY_TIMEOUT_MS = 15_000;

/** What the bench reads of a target's processes: CPU and memory (one process, or a cluster's sum). */
export interface Meter {
  /** User + system CPU seconds since the start. */
  cpuSeconds(): number;
  /** Current resident set, in KB. */
  rssKB(): number;
  /** Peak resident set, in KB. */
  hwmKB(): number;
  /** Highest RSS sampled since the last call, in KB, then starts over. */
  takePeakKB(): number;
  /** CPU seconds of the main thread and of the low-priority (hash) threads, and their waits for a CPU. */
  threadSeconds(): ThreadTimes;
  close(): void;
}

/** A running target as the bench sees it. */
export interface Target {
  host: string;
  port: number;
  /** Absent for an external server without --server-pid: then server figures are not measured. */
  meter: Meter | null;
  /** A cluster: every server's port (clients are spread over them) and each process measured on its own. */
  ports?: number[];
  parts?: { name: string; meter: Meter }[];
  /** A target the bench started: seconds from spawn to its ready line, and its RSS then. */
  start?: { seconds: number; rssMB: number };
  /** Bytes the target wrote to its stdout and stderr (console output is work too). */
  output: { stdout: number; stderr: number };
  /** Types a console command and resolves with the first answer line matching `answer` (null if none in 2 s). */
  console(command: string, answer: RegExp): Promise<string | null>;
  stop(): Promise<void>;
}

/**
 * Starts `node <script> <args>` and resolves once its ready line (`readyLine`) names the port to
 * use. The server (and the floor beside it, for a like-for-like ratio) runs as `npm start` and
 * the deploy recipes run it: with the Node flags and environment of server/runtime.ts.
 */
export function spawnTarget(script: URL, args: string[], nodeArgs: string[] = [], readyLine: RegExp = READY): Promise<Target> {
  const spawned = performance.now();
  const child = spawn(process.execPath, [...NODE_FLAGS, ...nodeArgs, script.pathname, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: serverEnv() });
  child.stdin!.on('error', () => {}); // a target without a console (the floor) may close it
  const output = { stdout: 0, stderr: 0 };
  let tail = '';
  let listener: ((text: string) => void) | null = null;
  child.stderr!.on('data', (b: Buffer) => {
    output.stderr += b.length;
    tail = (tail + b.toString()).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    let ready = false;
    const fail = (why: string) => {
      child.kill('SIGKILL');
      reject(new BenchError(`${why}\n${tail.trim()}`));
    };
    const timer = setTimeout(() => fail(`no ready line from ${script.pathname} within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    child.once('exit', (code) => fail(`${script.pathname} exited with code ${code} before it was ready`));
    child.stdout!.on('data', (b: Buffer) => {
      output.stdout += b.length;
      if (ready) return listener?.(b.toString()); // still read, so the target never blocks on a full pipe
      seen += b.toString();
      const m = readyLine.exec(seen);
      if (!m) return;
      ready = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const meter = new ProcMeter(child.pid!);
      resolve({
        host: m[1]!,
        port: Number(m[2]),
        meter,
        start: { seconds: (performance.now() - spawned) / 1000, rssMB: meter.rssKB() / 1024 },
        output,
        console: (command, answer) =>
          new Promise((done) => {
            let text = '';
            const finish = (line: string | null) => {
              listener = null;
              clearTimeout(timer);
              done(line);
            };
            const timer = setTimeout(() => finish(null), 2000);
            listener = (chunk) => {
              text = (text + chunk).slice(-100_000);
              const line = text.split('\n').find((l) => answer.test(l));
              if (line !== undefined) finish(line);
            };
            child.stdin!.write(`${command}\n`);
          }),
        stop: () => stopChild(child),
      });
    });
  });
}

/** SIGTERM (the server shuts down gracefully), then SIGKILL if it takes more than 10 s. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The fields of a /proc stat file after the command name (which may contain spaces); null if unreadable. */
function statFields(path: string): string[] | null {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * Seconds on a CPU of a process's main thread (the event loop) and of its hash threads (those at
 * HASH_THREAD_NICE), and seconds each spent runnable but waiting for a CPU (the run queue, from
 * /proc/.../schedstat). A hash thread that waits while it has work is why logins can fall short
 * of the raw hash rate on a busy machine: the scheduler, not a lack of jobs.
 */
export interface ThreadTimes {
  main: number;
  low: number;
  mainWait: number;
  lowWait: number;
}

export const NO_THREAD_TIMES: ThreadTimes = { main: NaN, low: NaN, mainWait: NaN, lowWait: NaN };

/**
 * A thread's seconds on a CPU and seconds waiting on a run queue (schedstat's first two fields,
 * in ns: finer than /proc's stat, whose 10 ms ticks can read a short phase's hashing as none);
 * null where the kernel keeps none.
 */
function schedstat(path: string): { run: number; wait: number } | null {
  try {
    const [run, wait] = readFileSync(path, 'utf8').split(' ').map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { run: run! / 1e9, wait: wait! / 1e9 } : null;
  } catch {
    return null;
  }
}

/** CPU and memory of one process, read from /proc; it also keeps the peak RSS it has sampled. */
export class ProcMeter implements Meter {
  private peakKB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }

  /** User + system CPU seconds since the process started (threads included). */
  cpuSeconds(): number {
    const fields = statFields(`/proc/${this.pid}/stat`);
    return fields ? (Number(fields[11]) + Number(fields[12])) / ticksPerSecond() : NaN; // utime, stime
  }

  /**
   * CPU seconds of the process's main thread (the event loop) and of its threads at
   * HASH_THREAD_NICE (the server's hash threads), so the report can say which one a login costs,
   * with their waits for a CPU. Threads that have ended are in neither (they are in cpuSeconds()).
   */
  threadSeconds(): ThreadTimes {
    const times = { main: NaN, low: 0, mainWait: NaN, lowWait: 0 };
    try {
      for (const tid of readdirSync(`/proc/${this.pid}/task`)) {
        const dir = `/proc/${this.pid}/task/${tid}`;
        const fields = statFields(`${dir}/stat`);
        if (!fields) continue;
        const sched = schedstat(`${dir}/schedstat`);
        const cpu = sched ? sched.run : (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
        const wait = sched ? sched.wait : NaN;
        if (Number(tid) === this.pid) {
          times.main = cpu;
          times.mainWait = wait;
        } else if (Number(fields[16]) === HASH_THREAD_NICE) {
          times.low += cpu;
          times.lowWait += wait;
        }
      }
    } catch {
      return NO_THREAD_TIMES;
    }
    return times;
  }

  /** Current resident set, in KB. */
  rssKB(): number {
    return this.status('VmRSS');
  }

  /** Peak resident set over the process's life (VmHWM), in KB. */
  hwmKB(): number {
    return this.status('VmHWM');
  }

  /** Highest RSS sampled since the last call, in KB (for per-phase peaks), then starts over. */
  takePeakKB(): number {
    this.sample();
    const peak = this.peakKB;
    this.peakKB = 0;
    return peak;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const rss = this.rssKB();
    if (rss > this.peakKB) this.peakKB = rss;
  }

  private status(field: string): number {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : NaN;
    } catch {
      return NaN;
    }
  }
}

/**
 * Seconds the machine's CPUs have been idle since boot, all CPUs added (/proc/stat: idle and
 * iowait): with the phase's wall time, how much of the machine nobody used.
 */
export function machineIdleSeconds(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    return (Number(cpu[4]) + Number(cpu[5])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

/**
 * Datagrams the kernel dropped, machine-wide, because a UDP socket's receive buffer was full
 * (/proc/net/snmp RcvbufErrors). During a run on a quiet machine these are the server's lost
 * heartbeats.
 */
export function udpReceiveDrops(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    return Number(values[names.indexOf('RcvbufErrors')]);
  } catch {
    return NaN;
  }
}
