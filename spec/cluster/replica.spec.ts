/**
 * The cluster's copy of the room, without Redis: literal logs applied to separate copies. Every
 * copy must reach the same state from the same log, whichever server it belongs to, and a copy
 * started from a snapshot must go on deciding as the one it was taken from.
 */
import { expect } from 'chai';
import { ChatError } from '../../common/errors.js';
import type { Room } from '../../server/chat/room.js';
import { Room as RoomClass } from '../../server/chat/room.js';
import { ReplicaClock } from '../../server/cluster/clock.js';
import type { Creds, Envelope } from '../../server/cluster/events.js';
import { Quiet } from '../../server/cluster/quiet.js';
import { Replica } from '../../server/cluster/replica.js';
import { makeConfig } from '../../server/config.js';
import { memoryLogger } from '../../server/logger.js';
import { Backlogs } from '../../server/net/backlogs.js';
import { Delivery, type Reach } from '../../server/net/delivery.js';
import { FakeClock } from '../support/fake-clock.js';
import { RecordingOutbox } from '../support/recorder.js';

const creds = (n: number): Creds => [`id${n}`, Buffer.alloc(32, n).toString('base64'), `token${n}`];

/** One server's copy: its room (speaking to a recorder), and the replica that applies the log to it. */
function copy(incarnation: string) {
  const out = new RecordingOutbox();
  const clock = new ReplicaClock(new FakeClock());
  const room = new RoomClass(makeConfig({ rateCount: 3, rateWindow: 5, muteSeconds: 10 }), clock, memoryLogger(), out as never) as Room<Reach>;
  const replica = new Replica(
    { room, delivery: new Delivery(new Backlogs(1 << 20, 1 << 24)), clock, log: memoryLogger(), quiet: new Quiet(), gateNews: () => {}, account: () => {}, taken: () => {}, unkept: () => {}, lost: () => {} },
    incarnation,
  );
  return {
    room,
    replica,
    out,
    /** Applies `e` at log id `id`; what the asker would get (a refusal as its code). */
    apply(id: string, e: Envelope): unknown {
      try {
        return replica.apply(id, e, undefined);
      } catch (err) {
        if (err instanceof ChatError) return err.code;
        throw err;
      }
    },
  };
}

/** A literal log: two servers (lives A and B), users on each, talk, a race for a name, a private chat. */
function log(): [string, Envelope][] {
  let t = Date.UTC(2026, 11, 2, 12);
  const at = () => `${(t += 250)}-0`;
  return [
    [at(), { t: 'hello', node: 'one', o: 'A' }],
    [at(), { t: 'hello', node: 'two', o: 'B' }],
    [at(), { t: 'login', name: 'Ann', guest: false, created: false, address: '10.0.0.1', wire: 'tinychat', cred: creds(1), o: 'A', r: 1 }],
    [at(), { t: 'login', name: 'bob', guest: false, created: false, address: '10.0.0.2', wire: 'tinychat', cred: creds(2), o: 'B', r: 1 }],
    // Both servers let "ann" log in at once: the log says who was first.
    [at(), { t: 'login', name: 'ANN', guest: false, created: false, address: '10.0.0.3', wire: 'tinychat', cred: creds(3), o: 'B', r: 2 }],
  ];
}

describe('cluster replica: one log, one state', () => {
  it('brings copies on different servers to the same state, and refuses only on the asking server', () => {
    const a = copy('A');
    const b = copy('B');
    const entries = log();
    const results = entries.map(([id, e]) => [a.apply(id, e), b.apply(id, e)]);
    // The second "ann" was asked for on B: B's asker hears the refusal, A has nothing to say.
    expect(results.at(-1)).to.deep.equal([undefined, 'ALREADY_LOGGED_IN']);
    expect(a.room.online()).to.deep.equal(['Ann', 'bob']);
    expect(a.replica.snapshot()).to.deep.equal(b.replica.snapshot());
    // Placements: ann is home on A, bob on B; each copy knows it.
    expect(a.replica.isHome(a.room.find('ann')!)).to.equal(true);
    expect(b.replica.isHome(b.room.find('ann')!)).to.equal(false);
    expect(b.replica.isHome(b.room.find('bob')!)).to.equal(true);
  });

  it('gives a line the same id everywhere, and mutes a flooder at the same line everywhere', () => {
    const a = copy('A');
    const b = copy('B');
    const entries = log();
    for (const [id, e] of entries) [a, b].forEach((c) => c.apply(id, e));
    const serial = a.replica.placement(a.room.find('ann')!)!.serial;
    let t = Date.UTC(2026, 11, 2, 13);
    for (let i = 0; i < 5; i++) {
      const id = `${(t += 100)}-0`;
      const e: Envelope = { t: 'say', user: 'ann', s: serial, text: `line ${i}`, lim: true, o: 'A', r: 10 + i };
      [a, b].forEach((c) => c.apply(id, e));
    }
    // rateCount 3 in 5 s: lines 0-2 go out, line 3 mutes, line 4 is refused; on both copies.
    const linesA = a.out.of('bob').filter((m) => m.type === 'msg');
    const linesB = b.out.of('bob').filter((m) => m.type === 'msg');
    expect(linesA.map((m) => m.type === 'msg' && `${m.id} ${m.text}`)).to.deep.equal(linesB.map((m) => m.type === 'msg' && `${m.id} ${m.text}`));
    expect(linesA).to.have.length(3);
    expect(a.replica.snapshot()).to.deep.equal(b.replica.snapshot());
  });

  it('counts a limited say, dm, leave or pm against the sender, and drops each once they are over, answering false', () => {
    const a = copy('A');
    for (const [id, e] of log()) a.apply(id, e);
    const s = a.replica.placement(a.room.find('ann')!)!.serial;
    let t = Date.UTC(2026, 11, 2, 16);
    const next = () => `${(t += 100)}-0`;
    const ann = { user: 'ann', s, o: 'A', lim: true } as const;
    const fromAnn = () => a.out.of('bob').filter((m) => (m.type === 'msg' && m.from === 'Ann') || (m.type === 'notice' && m.event === 'pm_invite'));
    // rateCount 3 in 5 s: a dm, a leave (bob is online: delivered as a dm) and a pm count; a say mutes.
    a.apply(next(), { t: 'dm', ...ann, to: 'bob', text: 'one' });
    a.apply(next(), { t: 'leave', ...ann, to: 'bob', text: 'two' });
    a.apply(next(), { t: 'pm', ...ann, target: 'bob' });
    expect(fromAnn()).to.have.length(3);
    expect(a.apply(next(), { t: 'say', ...ann, text: 'three' })).to.equal(false);
    expect(a.out.notices('ann').filter((n) => n.startsWith('muted:'))).to.have.length(1);
    // Muted: each kind is dropped before anything else is looked at (no NO_SUCH_USER for nobody),
    // and answers false, so the asker's dispatcher reports it refused.
    expect(a.apply(next(), { t: 'say', ...ann, text: 'x' })).to.equal(false);
    expect(a.apply(next(), { t: 'dm', ...ann, to: 'nobody', text: 'x' })).to.equal(false);
    expect(a.apply(next(), { t: 'leave', ...ann, to: 'bob', text: 'x' })).to.equal(false);
    expect(a.apply(next(), { t: 'pm', ...ann, target: 'nobody' })).to.equal(false);
    expect(fromAnn()).to.have.length(3);
    // An event its server did not mark is not counted here.
    expect(a.apply(next(), { t: 'dm', user: 'ann', s, o: 'A', to: 'nobody', text: 'x' })).to.equal('NO_SUCH_USER');
  });

  it('counts a /history request and new keys like a line on every copy; the page goes from the asker\'s server only', () => {
    const a = copy('A');
    const b = copy('B');
    for (const [id, e] of log()) [a, b].forEach((c) => c.apply(id, e));
    const s = a.replica.placement(a.room.find('ann')!)!.serial;
    let t = Date.UTC(2026, 11, 2, 17);
    const both = (e: Envelope) => {
      const id = `${(t += 100)}-0`;
      return [a.apply(id, e), b.apply(id, e)];
    };
    const ann = { user: 'ann', s, o: 'A', lim: true } as const;
    const pages = (c: ReturnType<typeof copy>) => c.out.notices('ann').filter((n) => n.startsWith('history:'));
    // rateCount 3 in 5 s: two pages and new keys (refused: no private session; counted all the same).
    expect(both({ t: 'history', ...ann, count: 50 })).to.deep.equal([undefined, undefined]);
    expect(both({ t: 'history', ...ann, count: 50 })).to.deep.equal([undefined, undefined]);
    expect(both({ t: 'rekey', ...ann, key: 'k' })[0]).to.equal('E2E_NOT_IN');
    expect([pages(a), pages(b)].map((p) => p.length)).to.deep.equal([2, 0]);
    // The fourth: over the limit on both copies, and the asker hears it was refused.
    expect(both({ t: 'history', ...ann, count: 50 })).to.deep.equal([false, false]);
    expect(a.out.notices('ann').filter((n) => n.startsWith('muted:'))).to.have.length(1);
    expect(a.replica.snapshot()).to.deep.equal(b.replica.snapshot());
  });

  it('starts a new copy from a snapshot that then decides as the old one does', () => {
    const a = copy('A');
    for (const [id, e] of log()) a.apply(id, e);
    const c = copy('C');
    c.replica.restore(structuredClone(a.replica.snapshot()));
    expect(c.replica.snapshot()).to.deep.equal(a.replica.snapshot());
    const serial = a.replica.placement(a.room.find('bob')!)!.serial;
    let t = Date.UTC(2026, 11, 2, 14);
    const more: [string, Envelope][] = [
      [`${(t += 100)}-0`, { t: 'pm', user: 'bob', s: serial, target: 'ann', o: 'B' }],
      [`${(t += 100)}-0`, { t: 'say', user: 'bob', s: serial, text: 'hi', o: 'B' }],
      [`${(t += 61_000)}-0`, { t: 'expire', from: 'bob', to: 'ann', at: t - 61_100, o: 'B' }],
    ];
    for (const [id, e] of more) expect(a.apply(id, e)).to.deep.equal(c.apply(id, e));
    expect(c.replica.snapshot()).to.deep.equal(a.replica.snapshot());
    expect(a.room.privates.consent.size).to.equal(0);
    expect(c.room.privates.consent.size).to.equal(0);
  });

  it('spends resume tokens in log order: one shown stays good until a resume shows a newer one, on every copy', () => {
    const a = copy('A');
    const b = copy('B');
    for (const [id, e] of log()) [a, b].forEach((c) => c.apply(id, e));
    const s = a.replica.placement(a.room.find('ann')!)!.serial;
    const resume = (o: string, was: string, tok: string): Envelope => ({ t: 'resume', user: 'ann', s, address: '10.0.0.9', wire: 'tinychat', tok, was, o, r: 7 });
    let t = Date.UTC(2026, 11, 2, 14);
    const both = (e: Envelope) => [a.apply(`${(t += 100)}-0`, e), b.apply(`${t}-0`, e)];
    expect(both(resume('B', 'token1', 'fresh-1'))).to.deep.equal([undefined, undefined]);
    // The newer token shown: token1 is spent. Both servers took it as good (a copy may lag), the log decides.
    expect(both(resume('A', 'fresh-1', 'fresh-2'))).to.deep.equal([undefined, undefined]);
    expect(both(resume('A', 'token1', 'fresh-3')), 'refused to its asker, A').to.deep.equal(['RESUME_FAILED', undefined]);
    for (const c of [a, b]) {
      const ann = c.room.find('ann')!;
      expect(['token1', 'fresh-1', 'fresh-2', 'fresh-3'].map((k) => ann.tokenMatches(k))).to.deep.equal([false, true, true, false]);
    }
    expect(a.replica.snapshot()).to.deep.equal(b.replica.snapshot());
  });

  it("takes a gone server's users offline once, and never lands an old session's event on a new one", () => {
    const a = copy('A');
    for (const [id, e] of log()) a.apply(id, e);
    const bobSerial = a.replica.placement(a.room.find('bob')!)!.serial;
    let t = Date.UTC(2026, 11, 2, 15);
    expect(a.apply(`${(t += 100)}-0`, { t: 'gone', inc: 'B', why: 'lease', o: 'A' })).to.equal(1);
    expect(a.apply(`${(t += 100)}-0`, { t: 'gone', inc: 'B', why: 'lease', o: 'C' })).to.equal(0);
    expect(a.room.online()).to.deep.equal(['Ann']);
    expect(a.out.notices('ann').filter((n) => n.startsWith('offline:'))).to.have.length(1);
    // bob logs in again (a new serial); a line of the old session must not speak as the new one.
    a.apply(`${(t += 100)}-0`, { t: 'login', name: 'bob', guest: false, created: false, address: '10.0.0.2', wire: 'tinychat', cred: creds(4), o: 'A', r: 5 });
    expect(a.apply(`${(t += 100)}-0`, { t: 'say', user: 'bob', s: bobSerial, text: 'ghost', o: 'A', r: 6 })).to.equal('NOT_LOGGED_IN');
    expect(a.out.lines('ann')).to.not.include('bob: ghost');
  });
});
