/**
 * A real pseudo-terminal for specs: a program run in a detached tmux session of a fixed size,
 * typed at with the keys a person uses (`tmux send-keys`, bracketed paste with `paste-buffer -p`)
 * and read back as the screen shows it (`capture-pane`). Waiting polls the screen with a deadline;
 * nothing here sleeps for a fixed time.
 *
 * Every session lives on a tmux server of this process's own (`-L`), never the user's, under a
 * unique name, and `Pty.killAll()` (in an after-hook) ends them.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { WAIT_MS } from './wait.js';

/** What the shell around the program prints when it ends, before the exit status. */
const EXITED = 'pty: exit status ';

/** This process's own tmux server. */
const SOCKET = `tinychat-spec-${process.pid}`;
let sessions = 0;

function tmux(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-L', SOCKET, ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`tmux ${args.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

export interface PtyOptions {
  width?: number;
  height?: number;
  /** Environment variables to set for the program (on top of this process's, minus `unset`). */
  env?: Record<string, string>;
  /** Environment variables to remove. */
  unset?: readonly string[];
}

export class Pty {
  private static readonly running = new Set<Pty>();
  private gone = false;

  private constructor(
    readonly name: string,
    readonly width: number,
    readonly height: number,
  ) {}

  /** Runs `argv` in a new `width`×`height` terminal (80×24 by default). */
  static async start(argv: readonly string[], options: PtyOptions = {}): Promise<Pty> {
    const { width = 80, height = 24, env = {}, unset = [] } = options;
    const name = `tc-${process.pid}-${++sessions}`;
    // Under a shell that says how the program ended: tmux itself does not always reap a pane's
    // process in time to report its status.
    const command = [
      'sh', '-c', `"$@"; echo "${EXITED}$?"`, 'sh',
      'env', ...unset.flatMap((u) => ['-u', u]), ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv,
    ];
    const pty = new Pty(name, width, height);
    Pty.running.add(pty);
    // One tmux command line, so the options hold before the program can have exited: keep the
    // pane after it exits (to read how it ended), and no status bar (all rows are the program's).
    await tmux([
      'new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), ...command,
      ';', 'set-option', '-t', name, 'status', 'off',
      ';', 'set-option', '-w', '-t', name, 'remain-on-exit', 'on',
    ]);
    return pty;
  }

  /** Ends every session a spec started and left running, and then this process's tmux server. */
  static async killAll(): Promise<void> {
    await Promise.all([...Pty.running].map((p) => p.kill()));
    await tmux(['kill-server']).catch(() => {});
    // tmux leaves its socket file behind.
    rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, SOCKET), { force: true });
  }

  /** Types `text` as it is (no key names). */
  async type(text: string): Promise<void> {
    await tmux(['send-keys', '-t', this.name, '-l', '--', text]);
  }

  /** Presses keys by tmux's names: Enter, Left, Tab, BSpace, M-Enter, C-c... */
  async keys(...keys: string[]): Promise<void> {
    await tmux(['send-keys', '-t', this.name, ...keys]);
  }

  /** Pastes `text` as a terminal does, in bracketed-paste markers if the program asked for them. */
  async paste(text: string): Promise<void> {
    await tmux(['set-buffer', '-b', this.name, '--', text]);
    await tmux(['paste-buffer', '-p', '-d', '-b', this.name, '-t', this.name]);
  }

  /** Makes the terminal `width` columns wide, as a user dragging its edge would (tmux reflows its rows). */
  async resize(width: number): Promise<void> {
    await tmux(['resize-window', '-t', this.name, '-x', String(width), '-y', String(this.height)]);
  }

  /** The rows on screen now, trailing blanks trimmed; with `escapes`, with their colours and attributes. */
  async screen(escapes = false): Promise<string[]> {
    const out = await tmux(['capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', this.name]);
    return out.replace(/\n$/, '').split('\n');
  }

  /** Everything printed so far: the scrollback and the screen. */
  async history(): Promise<string[]> {
    const out = await tmux(['capture-pane', '-p', '-S', '-', '-t', this.name]);
    return out.replace(/\n$/, '').split('\n');
  }

  /** The cursor's column and row (from 0). */
  async cursor(): Promise<{ x: number; y: number }> {
    const [x, y] = (await this.format('#{cursor_x} #{cursor_y}')).split(' ').map(Number);
    return { x: x!, y: y! };
  }

  /** Whether the program has rung the terminal bell (tmux remembers it for the window). */
  async rang(): Promise<boolean> {
    return (await this.format('#{window_bell_flag}')) === '1';
  }

  /** Polls the screen until `pred` holds for its rows; resolves with them. */
  async waitFor(pred: (rows: string[]) => boolean, what: string, ms = WAIT_MS, read = () => this.screen()): Promise<string[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const rows = await read();
      if (pred(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${rows.join('\n')}`);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** Waits for a row matching `re`; resolves with it. */
  async row(re: RegExp, ms = WAIT_MS): Promise<string> {
    const rows = await this.waitFor((rs) => rs.some((r) => re.test(r)), `a row matching ${re}`, ms);
    return rows.find((r) => re.test(r))!;
  }

  /** Waits for the program to exit; its exit status. */
  async exitStatus(ms = WAIT_MS): Promise<number> {
    // Read from the scrollback too: a program that ends with the cursor near the top (a login
    // question wiped) has the line scrolled off by tmux's "Pane is dead" under the screen.
    const said = new RegExp(`^${EXITED}\\d+$`);
    const rows = await this.waitFor((rs) => rs.some((r) => said.test(r)), `a row matching ${said}`, ms, () => this.history());
    return Number(rows.find((r) => said.test(r))!.slice(EXITED.length));
  }

  async kill(): Promise<void> {
    if (this.gone) return;
    this.gone = true;
    Pty.running.delete(this);
    await tmux(['kill-session', '-t', this.name]).catch(() => {});
  }

  private async format(f: string): Promise<string> {
    return (await tmux(['display-message', '-p', '-t', this.name, f])).trim();
  }
}
