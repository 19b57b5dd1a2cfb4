/**
 * Large rooms: above announceLimit users, joins and leaves are gathered and sent once a second as
 * one 'presence' notice without the online list; login_ok and who carry a count instead.
 */
import { expect } from 'chai';
import { onlineLine } from '../../../server/console.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, type Running } from '../../support/harness.js';

describe('announcements in a large room (fake clock)', () => {
  let clock: FakeClock;
  let srv: Running;
  const login = (name: string) => srv.login(name);

  beforeEach(async () => {
    clock = new FakeClock();
    srv = await startServer({ announceLimit: 2, heartbeatTimeout: 3600 }, clock);
  });
  afterEach(async () => {
    await srv.stop();
  });

  it('announces joins one by one, with the list, up to the limit', async () => {
    const alice = await login('alice');
    await login('bob');
    const join = await alice.notice('join');
    expect(join).to.include({ user: 'bob', count: 2 });
    expect(join.online).to.deep.equal(['alice', 'bob']);
  });

  it('above the limit, gathers joins and leaves into one summary a second, without the list', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    const carol = await login('carol');
    const dave = await login('dave');
    expect(carol.me.count).to.equal(3);
    expect(carol.me.online, 'no list in a large room').to.equal(undefined);
    bob.send({ type: 'logout' });
    await bob.whenClosed();
    await alice.sync();
    expect(alice.all('notice').map((n) => n.user), 'nothing yet about carol, dave or bob').to.deep.equal(['bob']);
    clock.advance(1000);
    const summary = await alice.notice('presence');
    expect(summary.message).to.equal('carol, dave joined; bob left; 3 online');
    expect(summary).to.include({ count: 3 });
    expect(summary.online).to.equal(undefined);
    expect((await dave.notice('presence')).message).to.equal('carol, dave joined; bob left; 3 online');
    const who = await alice.who();
    expect(who).to.deep.include({ online: ['alice', 'carol', 'dave'], count: 3 });
  });

  it('the console names at most 50 users and counts the rest', () => {
    const names = Array.from({ length: 52 }, (_, i) => `u${i}`);
    expect(onlineLine(names)).to.match(/^Online users \(52\): u0, u1, .*u49 and 2 more$/);
    expect(onlineLine([])).to.equal('Online users (0): (none)');
  });
});
