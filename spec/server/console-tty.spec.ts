/**
 * The server's console on a real terminal (tmux, spec/support/pty.ts), as an operator sees it: a
 * prompt; log lines and online lists printed above the command being typed, which stays intact
 * (even when it wraps) with the cursor where it was; the online list after the log line of the
 * login that caused it.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pty } from '../support/pty.js';
import { TestClient } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';

const MAIN = fileURLToPath(new URL('../../server/main.js', import.meta.url));

describe('server console on a terminal', function () {
  this.timeout(20_000);
  let dir: string;
  const clients: TestClient[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-tty-'));
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await Pty.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The rows from the first to the last that is not blank. */
  const used = (rows: string[]) => {
    let n = rows.length;
    while (n > 0 && rows[n - 1]!.trim() === '') n--;
    return rows.slice(0, n);
  };

  it('keeps the typed command intact below the output, and the online list after the login that caused it', async function () {
    const pty = await Pty.start(
      [process.execPath, MAIN, '--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', '', '--data-dir', join(dir, 'data'), '--bcrypt-cost', '4'],
      { width: 80, height: 24 },
    );
    const ready = await pty.row(/^Server listening on tcp:\/\/127\.0\.0\.1:\d+/);
    const port = Number(/:(\d+) and/.exec(ready)![1]);
    await pty.row(/^chat-server>$/);

    await pty.type('sta');
    await pty.row(/^chat-server> sta$/);
    clients.push(await TestClient.login(port, 'alice'));
    // Until the prompt is back below it: the server writes both at once, but the terminal may
    // be read between its reads of that one write.
    let rows = used(
      await pty.waitFor((rs) => rs.some((r) => r === 'Online users (1): alice') && used(rs).at(-1) === 'chat-server> sta', 'the online list, then the prompt'),
    );
    expect(rows.at(-1), rows.join('\n')).to.equal('chat-server> sta');
    const registered = rows.findIndex((r) => /INFO User alice successfully registered$/.test(r));
    const listed = rows.indexOf('Online users (1): alice');
    expect(registered, rows.join('\n')).to.be.within(0, listed - 1);
    expect(rows.filter((r) => r.startsWith('chat-server>')), 'one prompt on screen').to.have.length(1);
    expect(await pty.cursor()).to.deep.equal({ x: 'chat-server> sta'.length, y: rows.length - 1 });

    // Edited in the middle: the rest of the command is typed after moving the cursor.
    await pty.type('s');
    await pty.keys('Left');
    await pty.type('t');
    await pty.row(/^chat-server> stats$/);
    await pty.keys('Enter');
    // The answer, then the prompt.
    rows = used(
      await pty.waitFor((rs) => rs.some((r) => r.startsWith('Active users: 1 |')) && used(rs).at(-1) === 'chat-server>', 'the stats answer, then the prompt'),
    );
    expect(rows.filter((r) => r.startsWith('chat-server>')), rows.join('\n')).to.deep.equal(['chat-server> stats', 'chat-server>']);

    // A command longer than the terminal is wide, then output: the wrapped command comes back whole.
    const text = `wall ${'maintenance '.repeat(9)}tonight`; // 126 characters with the prompt: two rows
    await pty.type(text);
    clients.push(await TestClient.login(port, 'bob'));
    rows = used(
      await pty.waitFor((rs) => rs.includes('Online users (2): alice, bob') && used(rs).at(-1)?.endsWith('tonight') === true, 'the second online list, then the command'),
    );
    expect(rows.slice(-2).join(''), rows.join('\n')).to.equal(`chat-server> ${text}`);
    expect(rows.filter((r) => r.startsWith('chat-server> wall')), 'the command drawn once').to.have.length(1);
    await pty.keys('Enter');
    await pty.row(/^Told 2 users: "wall|^Told 2 users: "maintenance/);

    await pty.type('Terminate server');
    await pty.keys('Enter');
    expect(await pty.exitStatus(8000)).to.equal(0);
  });

  it('stops gracefully when its terminal closes, rather than die at the next read', async () => {
    const log = join(dir, 'server.log');
    const pty = await Pty.start(
      [process.execPath, MAIN, '--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', log, '--data-dir', join(dir, 'data'), '--bcrypt-cost', '4'],
      { width: 80, height: 24 },
    );
    await pty.row(/^chat-server>$/);
    expect(existsSync(join(dir, 'users.json.lock')), 'the lock while it runs').to.equal(true);
    await pty.kill(); // the terminal goes away: a hangup, and reads fail with EIO
    const lines = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n');
    await waitUntil(() => lines().some((l) => / INFO Server stopped$/.test(l)), 'the server to stop');
    expect(lines().some((l) => / WARN Console: the terminal is gone \(input\/output error\); stopping the server$/.test(l)), lines().join('\n')).to.equal(true);
    expect(existsSync(join(dir, 'users.json.lock')), 'the lock released').to.equal(false);
  });

  it('Ctrl-C at the console stops the server gracefully', async () => {
    const pty = await Pty.start(
      [process.execPath, MAIN, '--port', '0', '--udp-port', '0', '--db', join(dir, 'users.json'), '--log', join(dir, 'server.log'), '--data-dir', join(dir, 'data'), '--bcrypt-cost', '4'],
      { width: 80, height: 24 },
    );
    await pty.row(/^chat-server>$/);
    await pty.keys('C-c');
    expect(await pty.exitStatus(8000)).to.equal(0);
    await pty.row(/INFO Server stopped$/);
  });
});
