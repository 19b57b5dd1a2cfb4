/**
 * The room on its own: a recording outbox instead of sockets, a fake clock, no TCP. What each
 * user would receive is read from the recorder, in order.
 */
import { expect } from 'chai';
import type { ServerMessage } from '../../../common/protocol.js';
import { SWEEP_MS } from '../../../server/chat/housekeeping.js';
import { Room } from '../../../server/chat/room.js';
import { freshCredentials, type Session } from '../../../server/chat/session.js';
import { byToken, byTokenShown } from '../../support/resume.js';
import { makeConfig } from '../../../server/config.js';
import { memoryLogger } from '../../../server/logger.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeEndpoint, RecordingOutbox, refusal } from '../../support/recorder.js';


/** What a line counted against the flood limit is, for its refusal (as a cluster's replica names it). */
const SAY = { re: 'say' } as const;
describe('Room (recording outbox, fake clock)', () => {
  let clock: FakeClock;
  let out: RecordingOutbox;
  let room: Room<FakeEndpoint>;
  let logs: string[];

  beforeEach(() => {
    clock = new FakeClock();
    out = new RecordingOutbox();
    const log = memoryLogger();
    logs = log.lines;
    room = new Room(makeConfig({ heartbeatTimeout: 20, pmTimeout: 60, rateCount: 3, rateWindow: 5, muteSeconds: 10 }), clock, log, out);
    room.heartbeatPort = 5555;
  });

  const login = (name: string, guest = false): Session<FakeEndpoint> =>
    room.login(name, guest, false, new FakeEndpoint(`127.0.0.1:${1000 + room.count}`));
  const loginOk = (user: string) => out.of(user).find((m) => m.type === 'login_ok') as ServerMessage<'login_ok'>;

  describe('login', () => {
    it('greets the newcomer first with the online list and heartbeat credentials, and tells the others', () => {
      login('alice');
      const bob = login('Bob');
      const ok = loginOk('bob');
      expect(out.of('bob')[0]).to.equal(ok);
      expect(ok).to.deep.include({ user: 'Bob', guest: false, created: false, online: ['alice', 'Bob'], count: 2, udpPort: 5555, timeout: 20 });
      expect(ok.session).to.equal(bob.id);
      expect(Buffer.from(ok.secret!, 'base64')).to.have.length(32);
      expect(out.notices('alice')).to.deep.equal(['join: Bob joined the chat']);
      expect(out.notices('bob'), 'not told of their own join').to.deep.equal([]);
      expect(room.online()).to.deep.equal(['alice', 'Bob']);
      expect(bob.state).to.equal('attached');
      expect(logs).to.include('INFO User Bob logged in from 127.0.0.1:1001');
    });

    it('finds users without regard to case', () => {
      login('Alice');
      expect(room.find('ALICE')?.name).to.equal('Alice');
      expect(room.display('alice')).to.equal('Alice');
    });
  });

  describe('group lines', () => {
    it('reach everyone, the sender too, with ids that only grow', () => {
      const alice = login('alice');
      login('bob');
      login('carol');
      room.say(alice, 'hello');
      room.say(alice, 'two\nlines');
      for (const user of ['alice', 'bob', 'carol']) {
        expect(out.lines(user)).to.deep.equal(['alice: hello', 'alice: two\nlines']);
      }
      const ids = out.of('bob').flatMap((m) => (m.type === 'msg' ? [m.id] : []));
      expect(ids[1]).to.be.greaterThan(ids[0]!);
      expect(out.of('carol').find((m) => m.type === 'msg')).to.include({ scope: 'group', ts: clock.now() });
    });

    it('tells a muted user when the mute ends, also after logging out and in again meanwhile', () => {
      const alice = login('alice');
      [1, 2, 3, 4].forEach(() => room.allow(alice, SAY));
      room.end(alice, 'logout');
      login('alice');
      clock.advance(9_999);
      expect(out.notices('alice')).to.deep.equal([]);
      clock.advance(1);
      expect(out.notices('alice')).to.deep.equal(['unmuted: You can talk again']);
    });

    /** alice muted for flooding (10 s), then by the operator for 60 s. */
    const floodedThenMuted = () => {
      const alice = login('alice');
      [1, 2, 3, 4].forEach(() => room.allow(alice, SAY));
      room.mute(alice, 60);
      return alice;
    };
    /** After `ms` more: the "You can talk again" alice has been told so far, and whether she may talk. */
    const after = (alice: ReturnType<typeof login>, ms: number) => {
      clock.advance(ms);
      return { told: out.notices('alice').filter((n) => n.startsWith('unmuted')), talks: room.allow(alice, SAY) };
    };
    const FREE = { told: ['unmuted: You can talk again'], talks: true };

    it('says "You can talk again" once, when the last of a flood mute and an operator mute ends', () => {
      const alice = floodedThenMuted();
      expect(after(alice, 10_000), 'the flood mute is over, not the operator\'s').to.deep.equal({ told: [], talks: false });
      expect(after(alice, 50_000)).to.deep.equal(FREE);
    });

    it('tells a user the operator muted why their lines are refused, and how long it still lasts', () => {
      const alice = floodedThenMuted();
      clock.advance(15_000);
      room.allow(alice, SAY);
      expect(out.of('alice').filter((m) => m.type === 'error').at(-1)).to.deep.equal({
        type: 'error', code: 'MUTED', message: 'the operator muted you; try again in 45 s', retry: 45, re: 'say',
      });
    });

    it('lifting the operator mute while a flood mute runs says nothing until the flood mute ends', () => {
      const alice = floodedThenMuted();
      clock.advance(2_000);
      room.mute(alice, 0);
      expect(after(alice, 0)).to.deep.equal({ told: [], talks: false });
      expect(after(alice, 8_000)).to.deep.equal(FREE);
    });

    it('mutes a flooder once, refuses every line from the one that muted them, and lets them talk after the mute', () => {
      const alice = login('alice');
      const sent = [1, 2, 3, 4, 5].map(() => room.allow(alice, SAY));
      expect(sent).to.deep.equal([true, true, true, false, false]);
      expect(out.notices('alice')).to.deep.equal(['muted: You are sending too fast: muted for 10 s']);
      // One refusal for each line refused, the first included: a client matches them in order.
      const refusal = { type: 'error', code: 'MUTED', message: 'you are muted for sending too fast; try again in 10 s', retry: 10, re: 'say' };
      expect(out.of('alice').filter((m) => m.type === 'error')).to.deep.equal([refusal, refusal]);
      clock.advance(10_000);
      expect(room.allow(alice, SAY)).to.equal(true);
    });
  });

  describe('private sessions', () => {
    it('runs the seed 002 story: ask, accept, private lines, leave', () => {
      const alice = login('alice');
      const bob = login('bob');
      login('carol');
      room.privates.request(alice, bob);
      expect(out.notices('bob').at(-1)).to.equal('pm_invite: alice wants a private chat with you (Y/N)?');
      expect(out.notices('alice').at(-1)).to.equal('pm_sent: Private chat request sent to bob; waiting for the answer');
      room.privates.answer(bob, undefined, true);
      expect(out.notices('alice').at(-1)).to.equal('pm_started: You are now in a private chat with bob. Type EXIT PM to leave.');
      room.say(alice, 'just us');
      room.say(bob, 'indeed');
      expect(out.lines('alice')).to.deep.equal(['alice -> bob: just us', 'bob -> alice: indeed']);
      expect(out.lines('bob')).to.deep.equal(['alice -> bob: just us', 'bob -> alice: indeed']);
      expect(out.lines('carol'), 'carol hears nothing').to.deep.equal([]);
      room.privates.exit(bob);
      expect(out.notices('alice').at(-1)).to.equal('pm_ended: bob left the private chat');
      room.say(alice, 'back in the room');
      expect(out.lines('carol')).to.deep.equal(['alice: back in the room']);
    });

    it('refuses with a reason: yourself, a busy user, a second request, no request to answer', () => {
      const [alice, bob, carol] = [login('alice'), login('bob'), login('carol')];
      expect(refusal(() => room.privates.request(alice, alice))).to.equal('PM_SELF: you cannot start a private chat with yourself');
      room.privates.request(alice, bob);
      expect(refusal(() => room.privates.request(alice, carol))).to.equal('PM_OUTGOING: you already asked bob; wait for the answer');
      expect(refusal(() => room.privates.answer(carol, undefined, true))).to.equal('PM_NO_REQUEST: nobody has asked you for a private chat');
      room.privates.answer(bob, 'alice', true);
      expect(refusal(() => room.privates.request(carol, bob))).to.equal('PM_BUSY: bob is already in a private chat');
    });

    it('expires an unanswered request after the timeout and tells both sides', () => {
      const [alice, bob] = [login('alice'), login('bob')];
      room.privates.request(alice, bob);
      // Both keep heartbeating, so only the request ages.
      for (let t = 0; t < 59; t += 10) {
        clock.advance(Math.min(10_000, 59_000 - t * 1000));
        room.beat(alice.id, BigInt(t + 1));
        room.beat(bob.id, BigInt(t + 1));
      }
      room.sweep();
      expect(out.notices('alice').filter((n) => n.startsWith('pm_expired'))).to.deep.equal([]);
      clock.advance(1_000);
      room.sweep();
      expect(out.notices('alice').at(-1)).to.equal('pm_expired: Your private chat request to bob expired after 60 s without an answer');
      expect(out.notices('bob').at(-1)).to.equal('pm_expired: The private chat request from alice expired');
    });
  });

  describe('offline', () => {
    it('marks a silent user offline after the timeout: the others are told, the partner too, and the user gets a goodbye', () => {
      const [alice, bob] = [login('alice'), login('bob')];
      room.privates.request(alice, bob);
      room.privates.answer(bob, undefined, true);
      clock.advance(15_000);
      expect(room.beat(bob.id, 1n)).to.equal('accepted');
      clock.advance(5_000);
      room.sweep();
      expect(room.find('alice')).to.equal(undefined);
      expect(alice.state).to.equal('ended');
      expect(out.notices('bob').slice(-2)).to.deep.equal([
        'pm_ended: alice left the private chat',
        'offline: alice went offline (no heartbeat for 20 s)',
      ]);
      expect(out.of('alice').at(-1)).to.deep.include({ type: 'bye', reason: 'offline' });
      expect(out.calls).to.include('end alice (offline)');
      expect(room.online()).to.deep.equal(['bob']);
    });

    it('does not mark anyone offline for the server\'s own stall: a late sweep extends every deadline', () => {
      const stop = clock.every(SWEEP_MS, () => room.sweep()); // as the server schedules it
      const [alice, bob] = [login('alice'), login('bob')];
      clock.advance(15_000);
      room.beat(alice.id, 1n);
      room.beat(bob.id, 1n);
      // The event loop is blocked from 15 s to 43 s: heartbeats wait unread, timers do not run.
      // The sweep due at 16 s runs at 43 s, 27 s late.
      clock.freeze(28_000);
      clock.advance(0);
      expect(room.online()).to.deep.equal(['alice', 'bob']);
      expect(logs).to.include('WARN The server was stalled for 27.0 s: presence deadlines extended by as much');
      // Afterwards silence counts again: bob beats on, alice does not (1 s of hers counted before the stall).
      room.beat(bob.id, 2n);
      clock.advance(10_000);
      room.beat(bob.id, 3n);
      clock.advance(8_000);
      expect(room.online(), '19 s of silence outside the stall').to.deep.equal(['alice', 'bob']);
      clock.advance(1_000);
      expect(room.online()).to.deep.equal(['bob']);
      stop();
    });

    it('takes a heartbeat only with a sequence number above the last one', () => {
      const alice = login('alice');
      expect(room.secretOf(alice.id)).to.equal(alice.secret);
      expect(room.beat(alice.id, 5n)).to.equal('accepted');
      expect(room.beat(alice.id, 5n)).to.equal('replayed');
      expect(room.beat(alice.id, 4n)).to.equal('stale');
      expect(room.beat('nobody', 9n)).to.equal('unknown-session');
    });
  });

  describe('a server taken for gone (cluster)', () => {
    it('tells its users why they were taken offline, not that their heartbeats stopped', () => {
      login('alice');
      const bob = login('bob');
      room.end(bob, 'unreachable');
      const bye = out.of('bob').at(-1) as ServerMessage<'bye'>;
      expect(bye).to.deep.include({ type: 'bye', reason: 'offline' });
      expect(bye.message).to.match(/^You were taken offline: your server lost contact with the rest of the cluster/);
      expect(bye.message).to.not.match(/heartbeat/);
      expect(out.notices('alice')).to.include('offline: bob went offline (connection lost)');
    });
  });

  describe('private lines to someone whose connection dropped', () => {
    const pair = () => {
      const [alice, bob] = [login('alice'), login('bob')];
      room.privates.request(alice, bob);
      room.privates.answer(bob, undefined, true);
      out.drop('bob');
      room.lost('bob', bob.at!, 'reset');
      return [alice, bob] as const;
    };

    it('tells the sender once that the partner is disconnected, and delivers on resume', () => {
      const [alice, bob] = pair();
      room.say(alice, 'one');
      room.say(alice, 'two');
      room.dm(alice, 'bob', 'three');
      expect(out.notices('alice').filter((n) => n.startsWith('pm_disconnected'))).to.deep.equal([
        'pm_disconnected: bob is disconnected; your private lines will be delivered if bob comes back within 20 s',
      ]);
      room.resume(bob, new FakeEndpoint('127.0.0.1:9'), byToken(bob));
      expect(out.lines('bob').slice(-3)).to.deep.equal(['alice -> bob: one', 'alice -> bob: two', 'alice -> bob: three']);
      clock.advance(20_000);
      room.sweep();
      expect(out.notices('alice').filter((n) => n.startsWith('pm_undelivered')), 'all of it arrived').to.deep.equal([]);
    });

    it('says which lines never arrived when the partner does not come back', () => {
      const [alice, bob] = pair();
      for (let i = 1; i <= 7; i++) room.say(alice, `line ${i}`);
      room.say(alice, 'x'.repeat(100));
      clock.advance(20_000);
      room.beat(alice.id, 1n);
      room.sweep();
      expect(bob.state).to.equal('ended');
      const undelivered = out.notices('alice').filter((n) => n.startsWith('pm_undelivered'));
      expect(undelivered).to.deep.equal([
        `pm_undelivered: These private lines did not reach bob: "line 4", "line 5", "line 6", "line 7", "${'x'.repeat(59)}…" and 3 more`,
      ]);
    });
  });

  describe('resume', () => {
    it('keeps a detached session, then gives it back with what was said meanwhile, after its greeting', () => {
      const [alice, bob] = [login('alice'), login('bob')];
      room.privates.request(alice, bob);
      room.privates.answer(bob, undefined, true);
      const first = alice.at!;
      out.drop('alice');
      room.lost('alice', first, 'connection reset');
      expect(alice.state).to.equal('detached');
      room.say(bob, 'are you there?');
      const back = new FakeEndpoint('127.0.0.1:2000');
      room.resume(alice, back, byToken(alice));
      const after = out.of('alice').slice(-2);
      expect(after[0]).to.deep.include({ type: 'login_ok', resumed: true, partner: 'bob', session: alice.id });
      expect(after[1]).to.deep.include({ type: 'msg', text: 'are you there?' });
      expect(alice.state).to.equal('attached');
      expect(out.notices('bob').at(-1)).to.equal('reconnected: alice reconnected');
      expect(logs).to.include('INFO Lost connection from alice (127.0.0.1:1000): connection reset');
    });

    it('ends the old connection with a goodbye when a session is taken over, and rekeys on a password login', () => {
      const alice = login('alice');
      const { id, token } = alice;
      room.resume(alice, new FakeEndpoint('127.0.0.1:3000'), freshCredentials());
      expect(out.calls.filter((c) => c.startsWith('end') || c.startsWith('attach'))).to.deep.equal([
        'attach alice at 127.0.0.1:1000',
        'end alice (replaced)',
        'attach alice at 127.0.0.1:3000',
      ]);
      expect(alice.id).to.not.equal(id);
      expect(alice.tokenMatches(token)).to.equal(false);
      expect(room.bySessionId(id)).to.equal(undefined);
      expect(room.bySessionId(alice.id)).to.equal(alice);
    });

    it('renews the resume token at each resume: the one shown stays good until the next, those before are spent', () => {
      const alice = login('alice');
      const { id, token: first } = alice;
      const drop = () => {
        out.drop('alice');
        room.lost('alice', alice.at!, 'reset');
      };
      const resumeWith = (shown: string, port: number) => {
        room.resume(alice, new FakeEndpoint(`127.0.0.1:${port}`), byTokenShown(shown));
        return (out.of('alice').at(-1) as ServerMessage<'login_ok'>).token!;
      };
      drop();
      const second = resumeWith(first, 2000);
      expect(second).to.be.a('string').and.not.equal(first);
      expect(out.of('alice').at(-1)).to.deep.include({ type: 'login_ok', resumed: true, session: id });
      // Its login_ok may have been lost with the connection: the token shown still works, once.
      expect([alice.tokenMatches(first), alice.tokenMatches(second)]).to.deep.equal([true, true]);
      drop();
      const third = resumeWith(second, 2001);
      expect([alice.tokenMatches(first), alice.tokenMatches(second), alice.tokenMatches(third)], 'first is spent').to.deep.equal([false, true, true]);
      expect(alice.id, 'the same client: heartbeats go on under the same id').to.equal(id);
      expect(room.bySessionId(id)).to.equal(alice);
      // A password login that takes the session over spends them all.
      room.resume(alice, new FakeEndpoint('127.0.0.1:2002'), freshCredentials());
      expect([alice.tokenMatches(second), alice.tokenMatches(third)]).to.deep.equal([false, false]);
    });

    it('ignores a late close from a connection the session has already left', () => {
      const alice = login('alice');
      const old = alice.at!;
      room.resume(alice, new FakeEndpoint('127.0.0.1:3000'), byToken(alice));
      room.lost('alice', old, 'closed');
      expect(alice.state).to.equal('attached');
    });
  });

  describe('sessions waiting without a connection', () => {
    const from = (address: string, port: number) => Object.assign(new FakeEndpoint(`${address}:${port}`), { address });
    const drop = (s: Session<FakeEndpoint>) => {
      out.drop(s.key);
      room.lost(s.key, s.at!, 'reset');
    };

    it('keeps at most --max-per-address of them from one address: the longest waiting ends first', () => {
      room = new Room(makeConfig({ maxPerAddress: 2, maxConnections: 100 }), clock, memoryLogger(), out);
      const watcher = room.login('watcher', false, false, from('10.0.0.9', 1));
      const [a, b, c] = ['a', 'b', 'c'].map((n, i) => room.login(n, true, false, from('10.0.0.1', 10 + i)));
      const elsewhere = room.login('d', true, false, from('10.0.0.2', 20));
      for (const s of [a!, b!, elsewhere]) drop(s);
      expect(room.count).to.equal(5);
      drop(c!);
      expect(a!.state).to.equal('ended');
      expect([b!.state, c!.state, elsewhere.state]).to.deep.equal(['detached', 'detached', 'detached']);
      expect(out.notices('watcher').at(-1)).to.equal('offline: a went offline (connection lost)');
      expect(watcher.state).to.equal('attached');
      // A resume frees its place: the next drop from that address ends nobody.
      room.resume(b!, from('10.0.0.1', 30), byToken(b!));
      drop(room.login('e', true, false, from('10.0.0.1', 31)));
      expect(c!.state).to.equal('detached');
    });

    it('keeps at most --max-connections of them in all', () => {
      room = new Room(makeConfig({ maxPerAddress: 100, maxConnections: 2 }), clock, memoryLogger(), out);
      const sessions = ['a', 'b', 'c'].map((n, i) => room.login(n, true, false, from(`10.0.1.${i}`, 1)));
      sessions.forEach(drop);
      expect(sessions.map((s) => s.state)).to.deep.equal(['ended', 'detached', 'detached']);
    });
  });

  describe('logout and shutdown', () => {
    it('says goodbye to the leaver and tells the others, with the online list', () => {
      const alice = login('alice');
      login('bob');
      room.end(alice, 'logout');
      expect(out.of('alice').at(-1)).to.deep.include({ type: 'bye', reason: 'logout', message: 'Goodbye, alice!' });
      expect(out.of('bob').at(-1)).to.deep.include({ type: 'notice', event: 'leave', online: ['bob'], count: 1 });
    });

    it('ends everyone quietly at shutdown: only the goodbye', () => {
      const [alice, bob] = [login('alice'), login('bob')];
      room.privates.request(alice, bob);
      room.privates.answer(bob, undefined, true);
      const before = out.notices('bob').length;
      room.shutdown();
      expect(room.count).to.equal(0);
      expect(out.notices('bob')).to.have.length(before);
      expect(out.of('bob').at(-1)).to.deep.include({ type: 'bye', reason: 'shutdown' });
    });
  });
});
