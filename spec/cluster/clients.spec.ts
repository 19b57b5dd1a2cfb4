/**
 * The terminal client on a cluster: two real servers on one real redis-server, and real client
 * sessions (ChatSession with a recording screen) over real TCP. A client given both servers goes
 * on on the second when the first is stopped.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeClientConfig } from '../../client/config.js';
import { openIdentity } from '../../client/secure/identity.js';
import { KnownKeys } from '../../client/secure/known-keys.js';
import type { Server } from '../../client/servers.js';
import { ChatSession } from '../../client/session.js';
import { FakeUi } from '../client/fake-ui.js';
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
      u.type('quit');
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
    const secure = { identity: openIdentity(identityFile), known: KnownKeys.open(join(folder, 'known-keys.json'), `${first.host}:${first.port}`) };
    const exit = new ChatSession(config, ui, { secure }).run();
    await ui.waitFor(/Login success!/, 10_000);
    await new Promise((r) => setImmediate(r)); // the chat starts once run() has seen the login
    const u = { ui, exit, type: (line: string) => ui.chat!.line(line) };
    users.push(u);
    return u;
  }

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
