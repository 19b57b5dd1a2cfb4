import { expect } from 'chai';
import { MAX_HEADER, encodeMessage } from '../../../common/codec.js';
import { ANNOUNCED_PER_S, Announcer, SUMMARY_RECIPIENTS_PER_S } from '../../../server/chat/announcer.js';
import { FakeEndpoint, RecordingOutbox } from '../../support/recorder.js';
import { FakeClock } from '../../support/fake-clock.js';
import { longName } from '../../support/long-names.js';

/** An announcer over a room of `names` (all attached to a recording outbox), with announceLimit `limit`. */
function setUp(names: string[], limit: number) {
  const out = new RecordingOutbox();
  for (const n of names) out.attach(n, new FakeEndpoint(`${n}:1`), { type: 'who', online: [], count: 0 });
  const roll = { names: [...names], get count() { return this.names.length; }, online() { return [...this.names].sort(); } };
  const clock = new FakeClock();
  const heard: (readonly string[])[] = [];
  const announcer = new Announcer(roll, { announceLimit: limit }, 1000, out, clock, (online) => heard.push(online));
  return { out, roll, clock, heard, announcer };
}

describe('Announcer (recording outbox, fake clock)', () => {
  it('in a small room tells everyone but the newcomer at once, with the online list', () => {
    const { out, heard, announcer } = setUp(['alice', 'bob', 'carol'], 10);
    announcer.announce('join', { name: 'Carol', key: 'carol' }, 'Carol joined');
    const [notice] = out.of('alice').filter((m) => m.type === 'notice');
    expect(notice).to.include({ event: 'join', user: 'Carol', message: 'Carol joined', count: 3 });
    expect(notice).to.have.deep.property('online', ['alice', 'bob', 'carol']);
    expect(out.notices('bob')).to.deep.equal(['join: Carol joined']);
    expect(out.notices('carol')).to.deep.equal([]);
    expect(heard).to.deep.equal([['alice', 'bob', 'carol']]);
  });

  it('lists the first names that fit a frame, and the count of all, when long names would not', () => {
    const names = Array.from({ length: 900 }, (_, i) => longName(i));
    const { out, announcer } = setUp(names, 1000);
    announcer.announce('join', { name: names[0]!, key: names[0]! }, 'joined');
    const [notice] = out.of(names[1]!).filter((m) => m.type === 'notice');
    expect(notice).to.include({ count: 900 });
    const online = notice!.type === 'notice' ? notice.online! : [];
    expect(online.length).to.be.within(300, 899);
    expect(online).to.deep.equal(names.slice(0, online.length));
    expect(encodeMessage(notice!).readUInt16BE(0)).to.be.at.most(MAX_HEADER);
    expect(announcer.onlineField()).to.deep.equal({ online, count: 900 });
  });

  it('in a large room gathers joins and leaves into one summary a period, without the list', () => {
    const { out, roll, clock, heard, announcer } = setUp(['alice', 'bob', 'carol'], 2);
    announcer.announce('join', { name: 'carol', key: 'carol' }, 'carol joined');
    roll.names.push('dave');
    announcer.announce('join', { name: 'dave', key: 'dave' }, 'dave joined');
    expect(out.notices('alice')).to.deep.equal([]);
    announcer.flush(clock.monotonic());
    const summaries = out.of('alice').filter((m) => m.type === 'notice');
    expect(summaries).to.have.length(1);
    expect(summaries[0]).to.include({ event: 'presence', count: 4 });
    expect(summaries[0]).not.to.have.property('online');
    expect(summaries[0]!.type === 'notice' && summaries[0].message).to.match(/carol.*dave/);
    expect(heard).to.have.length(1);
    // Nothing new: nothing sent. The next summary goes out no sooner than half a period
    // (500 ms) after the last one: a sweep may come a little early.
    announcer.flush(clock.monotonic() + 1000);
    announcer.announce('leave', { name: 'bob', key: 'bob' }, 'bob left');
    announcer.flush(clock.monotonic() + 400);
    expect(out.notices('alice')).to.have.length(1);
    announcer.flush(clock.monotonic() + 500);
    expect(out.notices('alice')).to.have.length(2);
  });

  it('keeps gathering while a summary is pending, even once the room is small again', () => {
    const { out, roll, announcer } = setUp(['alice', 'bob', 'carol'], 2);
    announcer.announce('leave', { name: 'carol', key: 'carol' }, 'carol left');
    roll.names.pop();
    announcer.announce('leave', { name: 'bob', key: 'bob' }, 'bob left');
    expect(out.notices('alice')).to.deep.equal([], 'the second leave must not overtake the first');
    announcer.flush(0);
    expect(out.notices('alice')).to.have.length(1);
  });

  it('in a small room tells ANNOUNCED_PER_S joins and leaves a second at once, and gathers the rest into the summary, with the list', () => {
    const { out, clock, announcer } = setUp(['alice', 'guest'], 10);
    const churn = (n: number) => {
      for (let i = 0; i < n; i++) announcer.announce(i % 2 === 0 ? 'join' : 'leave', { name: 'guest', key: 'guest' }, `guest ${i % 2 === 0 ? 'joined' : 'left'}`);
    };
    // The last told is a leave; then join, leave, join: the summary says what changed, guest joined.
    churn(ANNOUNCED_PER_S + 3);
    expect(out.notices('alice')).to.have.length(ANNOUNCED_PER_S);
    expect(out.notices('alice').at(-1)).to.equal('leave: guest left');
    announcer.flush(clock.monotonic());
    const summary = out.of('alice').filter((m) => m.type === 'notice').at(-1)!;
    expect(summary).to.include({ event: 'presence', count: 2, message: 'guest joined; 2 online' });
    expect(summary).to.have.deep.property('online', ['alice', 'guest']);
    expect(out.notices('alice')).to.have.length(ANNOUNCED_PER_S + 1);
    // A second later, with nothing pending, they are told at once again.
    clock.advance(1000);
    churn(1);
    expect(out.notices('alice').at(-1)).to.equal('join: guest joined');
  });

  it('names nobody who came back as they were: a leave and a join meanwhile cancel out', () => {
    const { out, clock, announcer } = setUp(['alice', 'bob', 'guest'], 1);
    announcer.announce('join', { name: 'carol', key: 'carol' }, 'carol joined'); // a large room: gathered
    announcer.announce('leave', { name: 'bob', key: 'bob' }, 'bob left');
    announcer.announce('join', { name: 'bob', key: 'bob' }, 'bob joined');
    announcer.announce('join', { name: 'dave', key: 'dave' }, 'dave joined');
    announcer.announce('leave', { name: 'dave', key: 'dave' }, 'dave left');
    announcer.flush(clock.monotonic());
    expect(out.notices('alice')).to.deep.equal(['presence: carol joined; 3 online']);
    // With nothing changed since the last summary, none is sent.
    clock.advance(1000);
    announcer.announce('leave', { name: 'bob', key: 'bob' }, 'bob left');
    announcer.announce('join', { name: 'bob', key: 'bob' }, 'bob joined');
    announcer.flush(clock.monotonic());
    expect(out.notices('alice')).to.have.length(1);
  });

  it('in a room above the recipients a second, spaces summaries by its size', () => {
    const names = Array.from({ length: 3 * SUMMARY_RECIPIENTS_PER_S }, (_, i) => `u${i}`);
    const { out, announcer } = setUp(names, 10);
    announcer.announce('join', { name: 'u1', key: 'u1' }, 'u1 joined');
    announcer.flush(0);
    announcer.announce('join', { name: 'u2', key: 'u2' }, 'u2 joined');
    announcer.flush(2000); // 3,000 users: every 3 s (less half a period)
    expect(out.notices('u0')).to.have.length(1);
    announcer.flush(2500);
    expect(out.notices('u0')).to.have.length(2);
  });
});
