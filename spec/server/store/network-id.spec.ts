/**
 * The network id of a single server, in its data folder: made once, the same after a restart,
 * sent in login_ok; a file that holds no id stops the server rather than being replaced.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { networkIdIn } from '../../../server/store/network-id.js';
import { startServer } from '../../support/harness.js';

describe('server/store/network-id', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'network-id-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a random id at first use, in a folder it creates, and reads the same one back', () => {
    const data = join(dir, 'data');
    const id = networkIdIn(data);
    expect(id).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(readFileSync(join(data, 'network-id'), 'utf8')).to.equal(`${id}\n`);
    expect(statSync(join(data, 'network-id')).mode & 0o777).to.equal(0o600);
    expect(networkIdIn(data)).to.equal(id);
    expect(networkIdIn(join(dir, 'other'))).to.not.equal(id);
  });

  it('refuses a file that holds no id, naming it, and leaves it as it was', () => {
    const file = join(dir, 'network-id');
    writeFileSync(file, 'not/an id\n');
    expect(() => networkIdIn(dir)).to.throw(`network id file ${file} holds no network id (letters, digits, _ and -, at most 64); remove it to make a new one (clients will then trust keys anew)`);
    expect(readFileSync(file, 'utf8')).to.equal('not/an id\n');
  });

  it('is sent in login_ok, the same after a restart with the same data folder', async () => {
    const dataDir = join(dir, 'data');
    const first = await startServer({ dataDir, db: join(dir, 'users.json') });
    const before = (await first.login('alice')).me.network;
    await first.stop();
    const second = await startServer({ dataDir, db: join(dir, 'users.json') });
    try {
      expect(before).to.be.a('string').with.length(22);
      expect((await second.login('alice')).me.network).to.equal(before);
    } finally {
      await second.stop();
    }
  });
});
