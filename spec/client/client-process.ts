/**
 * The built chat-client (dist/client/main.js) as a child process driven through pipes: write
 * lines to its stdin, wait for lines on its stdout. Waiting reads output as it comes, with a
 * deadline; nothing here sleeps.
 *
 * Each process runs in a temporary folder of its own, which is also its config folder
 * (XDG_CONFIG_HOME: its identity key and pinned keys) and holds its ./downloads, so no spec
 * touches the real home; the folder goes when the process has exited.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WAIT_MS } from '../support/wait.js';

const CLIENT = fileURLToPath(new URL('../../client/main.js', import.meta.url));

const running = new Set<ClientProcess>();

export class ClientProcess {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly exited: Promise<number | null>;
  private cursor = 0;
  private readonly wake = new Set<() => void>();
  private readonly child: ChildProcessWithoutNullStreams;
  /** The process's own folder: its working directory and config folder. */
  readonly home: string;

  /** `home`: a folder to run in instead of a new one (kept: a client started again with the same identity). */
  constructor(args: string[], env: Record<string, string> = {}, home?: string) {
    const { CHAT_PASSWORD: _ignored, ...inherited } = process.env;
    this.home = home ?? mkdtempSync(join(tmpdir(), 'chat-client-'));
    const owned = home === undefined;
    this.child = spawn(process.execPath, [CLIENT, ...args], { cwd: this.home, env: { ...inherited, NO_COLOR: '1', XDG_CONFIG_HOME: this.home, ...env } });
    if (owned) this.child.on('close', () => rmSync(this.home, { recursive: true, force: true }));
    running.add(this);
    collect(this.child.stdout, this.out, () => this.notify());
    collect(this.child.stderr, this.err, () => this.notify());
    this.child.stdin.on('error', () => {}); // writing after it exited is the test's problem, not a crash
    // 'close' rather than 'exit': by then all of its output has been read.
    this.exited = new Promise((resolve) => this.child.on('close', (code) => {
      running.delete(this);
      this.notify();
      resolve(code);
    }));
  }

  /** Types a line. */
  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Ends the input, as at the end of a script. */
  end(): void {
    this.child.stdin.end();
  }

  /** The next stdout line (after the last one waited for) that matches; earlier ones are skipped. */
  waitFor(re: RegExp, timeoutMs = WAIT_MS): Promise<string> {
    return this.until(() => {
      for (let i = this.cursor; i < this.out.length; i++) {
        if (re.test(this.out[i]!)) {
          this.cursor = i + 1;
          return this.out[i]!;
        }
      }
      return undefined;
    }, timeoutMs, `a line matching ${re}`);
  }

  /** The exit code, waiting at most `timeoutMs`. */
  exitCode(timeoutMs = WAIT_MS): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for the exit; client output:\n${this.transcript}`)), timeoutMs);
      void this.exited.then((code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  }

  /** Everything printed so far, for failure messages. */
  get transcript(): string {
    return [...this.out, ...this.err.map((l) => `stderr: ${l}`)].join('\n');
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Kills whatever a failed test left running. */
  static killAll(): void {
    for (const c of running) c.kill();
  }

  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v === undefined) return;
        done();
        resolve(v);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; client output:\n${this.transcript}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(check);
      };
      this.wake.add(check);
      check();
    });
  }

  private notify(): void {
    for (const f of [...this.wake]) f();
  }
}

function collect(stream: NodeJS.ReadableStream, into: string[], changed: () => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    into.push(...parts);
    changed();
  });
  stream.on('end', () => {
    if (partial) into.push(partial);
    partial = '';
    changed();
  });
}

/** Polls a condition the test cannot be told about (server counters), with a deadline. */
export function eventually(cond: () => boolean, timeoutMs = WAIT_MS, what = 'a condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - start > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}
