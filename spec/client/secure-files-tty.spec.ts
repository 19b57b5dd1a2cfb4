/**
 * Encrypted private chats and files as two people live them: two built chat-clients, each in a
 * real terminal (tmux) with a config folder and a downloads folder of its own, typed at with the
 * keys a person uses, through a real server. What is checked is what each screen shows (the
 * question, the progress bar, the prompt, the safety number) and the file that lands on disk.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from '../../server/config.js';
import { startServer, type Running } from '../support/harness.js';
import { Pty } from '../support/pty.js';

const CLIENT = fileURLToPath(new URL('../../client/main.js', import.meta.url));
/** A row of the safety number: four of its twelve groups. */
const SAFETY = /^\[\d\d:\d\d:\d\d\]\s+((\d{5} ){3}\d{5})$/;

describe('chat-client in a terminal (tmux): encrypted private chats and files', function () {
  this.timeout(30_000);
  let srv: Running;
  let home: string;

  async function start(config: Partial<ServerConfig> = {}): Promise<void> {
    srv = await startServer(config);
    home = mkdtempSync(join(tmpdir(), 'e2e-tty-'));
  }

  afterEach(async () => {
    await Pty.killAll();
    await srv.stop();
    rmSync(home, { recursive: true, force: true });
  });

  /** `name`'s client in a terminal of its own, logged in, at its prompt; its downloads folder. */
  async function person(name: string): Promise<{ pty: Pty; downloads: string }> {
    const downloads = join(home, name, 'downloads');
    const pty = await Pty.start(
      [process.execPath, CLIENT, '--port', String(srv.port), '--user', name, '--password', 'pw', '--downloads', downloads],
      { width: 100, env: { XDG_CONFIG_HOME: join(home, name, 'config') }, unset: ['CHAT_PASSWORD'] },
    );
    await pty.row(/Login success!/);
    await pty.row(new RegExp(`^${name}>$`));
    return { pty, downloads };
  }

  async function typeLine(pty: Pty, line: string): Promise<void> {
    await pty.type(line);
    await pty.keys('Enter');
  }

  it('/send: bob is asked, says y, both watch a progress bar, and the file is saved byte for byte', async () => {
    // 1.5 MiB at 512 KiB/s: about three seconds on the way, long enough to see the bars move.
    await start({ fileRate: 512 * 1024 });
    const alice = await person('alice');
    const bob = await person('bob');
    const bytes = randomBytes(1.5 * 1024 * 1024);
    const path = join(home, 'holiday photos.tar');
    writeFileSync(path, bytes);

    await typeLine(alice.pty, `/send bob "${path}"`);
    await alice.pty.row(/Offered holiday photos\.tar \(1\.5 MiB\) to bob; waiting for the answer \(#1;/);
    await bob.pty.row(/alice wants to send you holiday photos\.tar \(1\.5 MiB\) \(Y\/N\)\?/);
    expect(await bob.pty.rang()).to.equal(true);
    await typeLine(bob.pty, 'y');

    // A bar above each prompt while it runs: the receiver's and the sender's.
    const bobBar = await bob.pty.row(/^<- alice holiday photos\.tar \d+% \[[=-]+\] /);
    const aliceBar = await alice.pty.row(/^-> bob holiday photos\.tar \d+% \[[=-]+\] /);
    expect(bobBar).to.match(/\/1\.5 MiB ETA /);
    expect(aliceBar).to.match(/\/1\.5 MiB ETA /);
    // (A long path wraps: the rows of one line are read as one.)
    const saved = /Saved holiday photos\.tar from alice as \S+\/downloads\/holiday photos\.tar \(1\.5 MiB, size and SHA-256 checked\)\./;
    await bob.pty.waitFor((rs) => saved.test(rs.join('').replace(/ {2,}/g, ' ')), 'the file saved', 15_000);
    await alice.pty.row(/Sent holiday photos\.tar \(1\.5 MiB\) to bob: received and checked\./);
    // The bars are gone once it is over; the prompt is the last row.
    const rows = await bob.pty.waitFor((rs) => !rs.some((r) => r.startsWith('<- alice')), 'the bar gone');
    expect(rows.filter((r) => r.trim() !== '').at(-1)).to.equal('bob>');
    expect(readdirSync(bob.downloads)).to.deep.equal(['holiday photos.tar']);
    const got = readFileSync(join(bob.downloads, 'holiday photos.tar'));
    expect(createHash('sha256').update(got).digest('hex')).to.equal(createHash('sha256').update(bytes).digest('hex'));
  });

  it('an encrypted chat: the prompt says so, /verify shows the same number on both screens, /verify yes marks it verified', async () => {
    await start();
    const alice = await person('alice');
    const bob = await person('bob');
    await typeLine(alice.pty, '@PM bob');
    await bob.pty.row(/\* alice wants an end-to-end encrypted private chat with you \(Y\/N\)\?$/);
    await typeLine(bob.pty, 'y');
    await alice.pty.row(/^alice \(private: bob, encrypted\)>$/);
    await bob.pty.row(/^bob \(private: alice, encrypted\)>$/);
    await alice.pty.row(/First encrypted chat with bob: bob's key is now pinned/);

    await typeLine(alice.pty, '/verify');
    await typeLine(bob.pty, '/verify');
    const number = async (pty: Pty) => {
      const rows = await pty.waitFor((rs) => rs.filter((r) => SAFETY.test(r)).length === 3, 'the three rows of the safety number');
      return rows.flatMap((r) => SAFETY.exec(r)?.[1] ?? []).join(' ');
    };
    const seenByAlice = await number(alice.pty);
    expect(await number(bob.pty)).to.equal(seenByAlice);

    await typeLine(alice.pty, '/verify yes');
    await alice.pty.row(/bob's key is marked as verified\.$/);
    await alice.pty.row(/^alice \(private: bob, encrypted, verified\)>$/);
    await typeLine(alice.pty, 'only you can read this');
    await bob.pty.row(/\[encrypted\] alice -> bob: only you can read this$/);
    // The server relayed it without reading it.
    expect(srv.logs.join('\n')).to.not.include('only you can read this');
    expect(srv.logs).to.include('INFO Private line from alice to bob (end-to-end encrypted)');
  });
});
