/**
 * A screen that records what it is shown and a keyboard the test types on, for driving a
 * ChatSession without a terminal.
 */
import type { Progress } from '../../client/files/progress.js';
import type { DisplayLine } from '../../client/format.js';
import { promptText, type Prompt } from '../../client/prompt.js';
import type { ChatHandlers, Ui } from '../../client/ui.js';
import { WAIT_MS } from '../support/wait.js';

export class FakeUi implements Ui {
  readonly lines: string[] = [];
  readonly questions: string[] = [];
  prompt = '';
  /** Every status the session set, in order (null: cleared). */
  readonly statuses: (string | null)[] = [];
  bells = 0;
  chat: ChatHandlers | null = null;
  /** Progress bars as they were started, moved and stopped: "start KEY LABEL TOTAL", "update KEY N", "stop KEY". */
  readonly bars: string[] = [];
  readonly progress: Progress = {
    start: (key, label, total) => void this.bars.push(`start ${key} ${label} ${total}`),
    update: (key, value) => void this.bars.push(`update ${key} ${value}`),
    stop: (key) => void this.bars.push(`stop ${key}`),
  };
  /** What show() answers: false plays a screen that has fallen behind. */
  keepingUp = true;
  private drained: (() => void)[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly answers: string[] = [],
    readonly interactive = true,
  ) {}

  ask(question: string): Promise<string | null> {
    this.questions.push(question);
    return Promise.resolve(this.answers.shift() ?? null);
  }

  show(lines: readonly DisplayLine[]): boolean {
    this.lines.push(...lines.map((l) => l.text));
    this.waiters.forEach((w) => w());
    return this.keepingUp;
  }

  whenDrained(fn: () => void): void {
    this.drained.push(fn);
  }

  /** The screen caught up. */
  drain(): void {
    this.keepingUp = true;
    this.drained.splice(0).forEach((f) => f());
  }

  setPrompt(prompt: Prompt): void {
    this.prompt = promptText(prompt);
  }

  status(text: string | null): void {
    this.statuses.push(text);
  }

  bell(): void {
    this.bells++;
  }

  clear(): void {}

  startChat(handlers: ChatHandlers): void {
    this.chat = handlers;
  }

  has(re: RegExp): boolean {
    return this.lines.some((l) => re.test(l));
  }

  /**
   * Waits for a line matching `re`. The default deadline is WAIT_MS, as for a terminal's rows
   * (pty.ts) and a client process's lines: what comes may wait for a login's hash, which on a
   * busy machine takes seconds (two logins of cluster/files.spec took up to 2.2 s each beside two
   * busy cores, and once more than the 4 s this waited).
   */
  waitFor(re: RegExp, ms = WAIT_MS): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.has(re)) return;
        this.waiters.delete(check);
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => reject(new Error(`no line matching ${re}; got:\n${this.lines.join('\n')}`)), ms);
      this.waiters.add(check);
      check();
    });
  }
}
