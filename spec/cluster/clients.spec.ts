/**
 * The terminal client on a cluster: two real servers on one real redis-server, and real client
 * sessions (ChatSession with a recording screen) over real TCP. A cluster is one network, so keys
 * pinned through one of its servers hold through the other; and a client given both servers goes
 * on on the second when the first is stopped.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClientConfig } from '../../client/config.js';
import { openIdentity } from '../../client/secure/identity.js';
import { KnownKeys } from '../../client/secure/known-keys.js';
import type { Server } from '../../client/servers.js';
import { ChatSession } from '../../client/session.js';
import { FakeUi } from '../client/fake-ui.js';
import { encryptedChat } from '../support/encrypted-chat.js';
import { needRedis, startCluster, type Cluster } from '../support/cluster.js';
import type { Running } from '../support/harness.js';

interface User {
  ui: FakeUi;
  exit: Promise<number>;
  type(line: string): void;
}

describe('cluster: the client on two servers', function () {
  this.timeout(30_000);
  let cluster: Cluster;
  let n1: Running;
  let n2: Running;
  const users: User[] = [];
  const folders: string[] = [];

  needRedis();

  beforeEach(async () => {
    cluster = await startCluster(2);
    [n1, n2] = cluster.nodes as [Running, Running];
  });

  afterEach(async () => {
    for (const u of users.splice(0)) {
      u.type('/quit');
      await Promise.race([u.exit, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    await cluster.stop();
    folders.splice(0).forEach((f) => rmSync(f, { recursive: true, force: true }));
  });

  function home(): string {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-client-'));
    folders.push(dir);
    return dir;
  }

  const at = (node: Running): Server => ({ host: '127.0.0.1', port: node.port });

  /** `name`'s client with the identity and pins in `folder`, given `servers` (the first is used first). */
  async function user(name: string, folder: string, servers: Server[]): Promise<User> {
    const ui = new FakeUi();
    const identityFile = join(folder, 'identity');
    const first = servers[0]!;
    const config = makeClientConfig({ ...first, servers, user: name, password: 'pw', identityFile, downloads: join(folder, 'downloads') });
    const secure = { identity: openIdentity(identityFile), known: KnownKeys.open(join(folder, 'known-keys.json')) };
    const exit = new ChatSession(config, ui, { secure }).run();
    await ui.waitFor(/Login success!/, 10_000);
    await new Promise((r) => setImmediate(r)); // the chat starts once run() has seen the login
    const u = { ui, exit, type: (line: string) => ui.chat!.line(line) };
    users.push(u);
    return u;
  }

  it('sends one network id from both servers, and keeps the keys pinned through one when reached through the other', async () => {
    const [one, two] = [await n1.login('probe1'), await n2.login('probe2')];
    expect(one.me.network).to.be.a('string').and.equal(two.me.network);

    const aliceHome = home();
    const bob = await user('bob', home(), [at(n1)]);
    const first = await user('alice', aliceHome, [at(n1)]);
    await encryptedChat(first, bob);
    await first.ui.waitFor(/First encrypted chat with bob: bob's key is now pinned/);
    first.type('/verify yes');
    await first.ui.waitFor(/bob's key is marked as verified/);
    first.type('/quit');
    expect(await first.exit).to.equal(0);

    // The same alice (identity and pins) through the other server: bob is known, and verified.
    const again = await user('alice', aliceHome, [at(n2)]);
    bob.ui.lines.splice(0); // the first invitation is not the one to answer
    await encryptedChat(again, bob);
    expect(again.ui.prompt).to.equal('alice (private: bob, encrypted, verified)> ');
    expect(again.ui.has(/First encrypted chat|is now pinned|identity key has changed/)).to.equal(false);
    const saved = JSON.parse(readFileSync(join(aliceHome, 'known-keys.json'), 'utf8')) as { keys: Record<string, unknown> };
    expect(Object.keys(saved.keys)).to.deep.equal([`#${one.me.network}/bob`]);
  });

  it('goes on on the second server when the first is stopped: the next line typed is delivered', async () => {
    const bob = await n2.login('bob');
    const alice = await user('alice', home(), [at(n1), at(n2)]);
    await n1.stop();
    await alice.ui.waitFor(/Connection lost \(.*\), reconnecting…$/);
    await alice.ui.waitFor(new RegExp(`Now connected to 127\\.0\\.0\\.1:${n2.port} \\(2 of 2\\)\\.$`), 15_000);
    expect(alice.ui.statuses).to.include(`Next: 127.0.0.1:${n2.port} (2 of 2); cannot connect to 127.0.0.1:${n1.port}: connection refused`);
    expect(alice.ui.statuses.at(-1)).to.equal(null);
    alice.type('still here');
    const line = await bob.next((m) => m.type === 'msg' && m.from === 'alice', 10_000);
    expect(line).to.include({ scope: 'group', text: 'still here' });
  });
});
