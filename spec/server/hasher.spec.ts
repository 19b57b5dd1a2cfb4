/**
 * The password hasher: bcrypt on worker threads at the lowest CPU priority (Linux), so a login
 * storm cannot take a core away from the chat.
 */
import { expect } from 'chai';
import bcrypt from 'bcryptjs';
import { readFileSync, readdirSync } from 'node:fs';
import { createHasher, type Hasher } from '../../server/hasher.js';

/** Nice value of every thread of this process, from /proc. */
function niceByThread(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${process.pid}/task`)) {
    const fields = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    out.set(Number(tid), Number(fields[16])); // field 19 of stat: nice
  }
  return out;
}

describe('hasher', () => {
  let hasher: Hasher;
  before(() => {
    hasher = createHasher(1, 10);
  });
  after(async () => hasher.close());

  it('hashes and compares with bcrypt', async () => {
    const hash = await hasher.hash('correct horse', 4);
    expect(bcrypt.compareSync('correct horse', hash)).to.equal(true);
    expect(await hasher.compare('correct horse', hash)).to.equal(true);
    expect(await hasher.compare('wrong horse', hash)).to.equal(false);
  });

  it('runs the hashing thread at the lowest priority and leaves the main thread alone', async () => {
    await hasher.hash('x', 4);
    const after = niceByThread();
    expect(after.get(process.pid), 'main thread').to.equal(0);
    const lowered = [...after].filter(([, nice]) => nice === 19);
    expect(lowered, JSON.stringify([...after])).to.have.length.greaterThan(0);
  });
});
