/**
 * The phases of a run, shown as a progress bar (cli-progress) on a terminal's stderr. Anywhere
 * else (a pipe, CI, the test suite) it is silent, so the report on stdout stays clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Starts a new phase with `total` steps (clients to log in, seconds to hold, ...). */
  phase(label: string, total: number): void;
  update(value: number): void;
  stop(): void;
}

const silent: Progress = { phase() {}, update() {}, stop() {} };

export function createProgress(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return silent;
  const bar = new cliProgress.SingleBar(
    { format: '{label} [{bar}] {value}/{total} | {duration_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  return {
    phase(label, total) {
      if (running) bar.stop();
      bar.start(Math.max(1, total), 0, { label: label.padEnd(18) });
      running = true;
    },
    update(value) {
      if (running) bar.update(value);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
