/**
 * The IRC options of the built server (`node server/main.js`), as a user gives them: the second
 * ready line names the IRC port, and mistakes end in one line and exit code 1.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IrcClient } from './client.js';

const MAIN = fileURLToPath(new URL('../../../../server/main.js', import.meta.url));

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

describe('IRC options of chat-server (the built server)', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-irc-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const base = () => ['--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', '', '--data-dir', join(dir, 'data'), '--bcrypt-cost', '4'];

  /** Runs the server until it exits (a refused option), or until `ready` is on stdout, then SIGTERM. */
  function run(args: string[], ready?: (out: string) => Promise<void>): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [MAIN, ...base(), ...args], { stdio: 'pipe', cwd: dir });
      const r: Run = { stdout: '', stderr: '', code: null };
      let started = false;
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.stderr.on('data', (b: Buffer) => (r.stderr += b.toString()));
      child.stdout.on('data', (b: Buffer) => {
        r.stdout += b.toString();
        if (ready && !started && /IRC listening on .*\n/.test(r.stdout)) {
          started = true;
          ready(r.stdout).then(() => child.kill('SIGTERM'), (e: unknown) => (child.kill('SIGTERM'), reject(e)));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(kill);
        r.code = code;
        resolve(r);
      });
    });
  }

  it('prints a second ready line with the IRC port, where IRC clients are served', async () => {
    let welcome = '';
    const r = await run(['--irc-port', '0', '--irc-channel', '#room'], async (out) => {
      const [first, second] = out.split('\n');
      expect(first).to.match(/^Server listening on tcp:\/\/127\.0\.0\.1:\d+ and udp:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(/^IRC listening on irc:\/\/127\.0\.0\.1:(\d+)$/.exec(second ?? '')?.[1]);
      const c = await IrcClient.register(port, 'alice');
      welcome = c.all('JOIN')[0]!.params[0]!;
      c.close();
    });
    expect(welcome, 'the channel of --irc-channel').to.equal('#room');
    expect(r.code).to.equal(0);
  });

  for (const [args, message] of [
    [['--irc-tls-port', '6697'], 'chat-server: --irc-tls-port needs --tls-cert and --tls-key'],
    [['--irc-channel', 'tinychat'], 'chat-server: invalid --irc-channel "tinychat": use "#" and 1 to 49 characters without spaces, commas, colons or controls'],
    [['--irc-port', '70000'], 'chat-server: invalid --irc-port 70000: use a whole number from 0 to 65535'],
    // Two of its own listeners on one port: both options named, not "another server running? try --port 0".
    [['--port', '47991', '--irc-port', '47991'], 'chat-server: --irc-port 47991 is also --port: each listener needs a port of its own (or 0 for any free one)'],
    [['--irc-port', '47992', '--metrics-port', '47992'], 'chat-server: --metrics-port 47992 is also --irc-port: each listener needs a port of its own (or 0 for any free one)'],
  ] as const) {
    it(`refuses ${args.join(' ')} in one line, exit 1`, async () => {
      const r = await run([...args]);
      expect(r.code).to.equal(1);
      expect(r.stderr.trim()).to.equal(message);
      expect(r.stdout).to.equal('');
    });
  }
});
