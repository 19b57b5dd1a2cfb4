/**
 * What the room recalls, through the recording outbox with drains held by hand: offline messages
 * and replays go out a batch per drain, offline messages are taken from the mailbox only once
 * their batch was taken, a lost connection leaves the rest for the next login, a /history page is
 * bounded by its text, and one sender keeps at most a share of an account's mailbox.
 */
import { expect } from 'chai';
import { ChatError } from '../../../common/errors.js';
import { Room } from '../../../server/chat/room.js';
import { MailboxFailed, MemoryMailbox, type History, type HistoryLine } from '../../../server/chat/history.js';
import { batchText, fitText, senderShare } from '../../../server/chat/recall.js';
import { freshCredentials } from '../../../server/chat/session.js';
import { makeConfig } from '../../../server/config.js';
import { memoryLogger } from '../../../server/logger.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeEndpoint, RecordingOutbox, refusal } from '../../support/recorder.js';
import { byToken } from '../../support/resume.js';

/** History in an array, oldest first. */
class ArrayHistory implements History {
  readonly enabled = true;
  constructor(readonly lines: HistoryLine[]) {}
  get lastId(): number {
    return this.lines.at(-1)?.id ?? 0;
  }
  record(line: HistoryLine): void {
    this.lines.push(line);
  }
  last(n: number): HistoryLine[] {
    return this.lines.slice(-n);
  }
  before(id: number, n: number): { lines: HistoryLine[]; older: boolean } {
    const older = this.lines.filter((l) => l.id < id);
    return { lines: older.slice(-n), older: older.length > n };
  }
  after(id: number, max: number): { lines: HistoryLine[]; skipped: number } {
    const newer = this.lines.filter((l) => l.id > id);
    return { lines: newer.slice(-max), skipped: Math.max(0, newer.length - max) };
  }
}

describe('Recall (recording outbox, drains by hand)', () => {
  const K = 1024;
  /** --max-output 64 KiB: batches of 16 Ki characters. */
  const maxOutput = 64 * K;
  const big = (c: string) => c.repeat(10 * K);
  let out: RecordingOutbox;
  let mailbox: MemoryMailbox;
  let room: Room<FakeEndpoint>;
  let clock: FakeClock;
  let logs: string[];
  /** The heartbeat timeout (the default's), which is also how long a receipt is waited for. */
  const heartbeatTimeout = 20;
  const start = (lines: HistoryLine[] = [], offlineMax = 100) => {
    out = new RecordingOutbox();
    out.holdDrains = true;
    mailbox = new MemoryMailbox();
    clock = new FakeClock();
    const log = memoryLogger();
    logs = log.lines;
    room = new Room(makeConfig({ maxOutput, offlineMax, historyOnJoin: 20, heartbeatTimeout }), clock, log, out, { history: new ArrayHistory(lines), mailbox });
  };
  const keep = (n: number, from = 'alice') => {
    for (let id = 1; id <= n; id++) void mailbox.put('bob', { id, ts: id, from, to: 'bob', text: `${id} ${big('x')}` });
  };
  const offline = () => out.of('bob').flatMap((m) => (m.type === 'msg' && m.offline ? [m.id] : []));
  const replayed = () => out.of('bob').flatMap((m) => (m.type === 'msg' && m.replay ? [m.id] : []));
  const history = (n: number): HistoryLine[] => Array.from({ length: n }, (_, i) => ({ id: 100 + i, ts: i, from: 'alice', text: big('h') }));

  it('batches of a quarter of --max-output (at most 256 Ki characters, at least 1 Ki), and a share of a quarter of --offline-max (at least 1)', () => {
    expect([batchText(1024 * K), batchText(64 * K), batchText(100 * 1024 * K), batchText(1024)]).to.deep.equal([256 * K, 16 * K, 256 * K, 1024]);
    expect([senderShare(100), senderShare(8), senderShare(3), senderShare(1)]).to.deep.equal([25, 2, 1, 1]);
    const lines = ['aaa', 'bb', 'cccc'].map((text) => ({ text }));
    expect(fitText(lines, 5)).to.deep.equal([{ text: 'aaa' }, { text: 'bb' }]);
    expect(fitText(lines, 5, true), 'from the end').to.deep.equal([{ text: 'cccc' }]);
    expect(fitText(lines, 1), 'a line longer than a batch goes alone').to.deep.equal([{ text: 'aaa' }]);
  });

  it('hands offline messages over a batch per drain, taking each batch from the mailbox only once it was taken', () => {
    start();
    keep(5);
    room.login('bob', false, false, new FakeEndpoint('127.0.0.1:1'));
    expect(out.notices('bob')).to.include('offline_delivered: 5 messages came while you were away:');
    expect(offline(), 'one batch: 16 Ki characters hold one message of 10 Ki').to.deep.equal([1]);
    expect(mailbox.waiting('bob'), 'not taken before the connection took it').to.equal(5);
    out.release();
    expect(offline()).to.deep.equal([1, 2]);
    expect(mailbox.waiting('bob')).to.equal(4);
    for (let i = 0; i < 4; i++) out.release();
    expect(offline()).to.deep.equal([1, 2, 3, 4, 5]);
    expect(mailbox.waiting('bob')).to.equal(0);
    expect(out.held).to.equal(0);
  });

  it('leaves what was not taken for the next login when the connection is lost mid-delivery', () => {
    start();
    keep(5);
    room.login('bob', false, false, new FakeEndpoint('127.0.0.1:1'));
    out.release();
    expect(offline()).to.deep.equal([1, 2]);
    out.release(false);
    expect(mailbox.peek('bob').map((m) => m.id), 'the second batch was never taken').to.deep.equal([2, 3, 4, 5]);
  });

  describe('to a client that sends receipts (the receipts feature)', () => {
    /** Messages of 6 Ki: two to a batch of 16 Ki. */
    const keepSmall = (n: number) => {
      for (let id = 1; id <= n; id++) void mailbox.put('bob', { id, ts: id, from: 'alice', to: 'bob', text: `${id} ${'s'.repeat(6 * K)}` });
    };
    const marked = () => out.of('bob').flatMap((m) => (m.type === 'msg' && m.receipt ? [m.id] : []));
    const loginBob = (label = '127.0.0.1:1') => room.login('bob', false, false, new FakeEndpoint(label), undefined, undefined, ['receipts']);

    it('marks the last of each batch, deletes a batch only on its receipt, and sends the next then', () => {
      start();
      keepSmall(5);
      const bob = loginBob();
      expect([offline(), marked()]).to.deep.equal([[1, 2], [2]]);
      expect(out.held, 'waits for the receipt, not for the transport').to.equal(0);
      expect(mailbox.waiting('bob')).to.equal(5);
      room.received(bob, 2);
      expect([offline(), marked(), mailbox.waiting('bob')]).to.deep.equal([[1, 2, 3, 4], [2, 4], 3]);
      room.received(bob, 4);
      room.received(bob, 5);
      expect([offline(), marked(), mailbox.waiting('bob')]).to.deep.equal([[1, 2, 3, 4, 5], [2, 4, 5], 0]);
    });

    it('refuses a receipt for anything but the batch in flight, and deletes nothing for it', () => {
      start();
      keepSmall(3);
      const bob = loginBob();
      const inFlight = 'RECEIPT_UNEXPECTED: received 1: the offline messages waiting for a receipt end at 2; nothing was deleted';
      expect(refusal(() => room.received(bob, 1)), 'one of the batch, not its last').to.equal(inFlight);
      expect(refusal(() => room.received(bob, 3)), 'one not sent yet').to.equal(inFlight.replace('received 1', 'received 3'));
      expect(mailbox.waiting('bob')).to.equal(3);
      room.received(bob, 2);
      room.received(bob, 3);
      expect(refusal(() => room.received(bob, 3)), 'again, with nothing in flight').to.equal('RECEIPT_UNEXPECTED: received 3: no offline messages are waiting for a receipt; nothing was deleted');
      expect([offline(), mailbox.waiting('bob')]).to.deep.equal([[1, 2, 3], 0]);
    });

    it('keeps a batch whose connection was lost before its receipt, and hands it again at the resume', () => {
      start();
      keepSmall(3);
      const at = new FakeEndpoint('127.0.0.1:1');
      const bob = room.login('bob', false, false, at, undefined, undefined, ['receipts']);
      out.drop('bob');
      room.lost('bob', at, 'connection reset');
      expect(mailbox.peek('bob').map((m) => m.id), 'the batch sent, not received, stays').to.deep.equal([1, 2, 3]);
      room.resume(bob, new FakeEndpoint('127.0.0.1:2'), byToken(bob));
      expect(offline(), 'the same batch again').to.deep.equal([1, 2, 1, 2]);
      room.received(bob, 2);
      room.received(bob, 3);
      expect(mailbox.waiting('bob')).to.equal(0);
    });

    it('hands a batch not received to the connection that takes the session over, and keeps one a logout cut off', () => {
      start();
      keepSmall(3);
      const bob = loginBob();
      room.resume(bob, new FakeEndpoint('127.0.0.1:2'), freshCredentials(), ['receipts']);
      expect(offline(), 'again, on the new connection (the recorder shows what it received)').to.deep.equal([1, 2]);
      expect(refusal(() => room.received(bob, 4))).to.match(/end at 2/);
      room.end(bob, 'logout');
      expect(mailbox.waiting('bob'), 'nothing received: all kept').to.equal(3);
    });

    it('hands a message kept while its recipient logged in and dropped only at the resume, once', async () => {
      start();
      const alice = room.login('alice', false, false, new FakeEndpoint('127.0.0.1:9'));
      const kept = room.leave(alice, 'bob', 'hi');
      // bob logs in and drops while the message is being stored.
      const at = new FakeEndpoint('127.0.0.1:1');
      const bob = room.login('bob', false, false, at, undefined, undefined, ['receipts']);
      out.drop('bob');
      room.lost('bob', at, 'connection reset');
      await kept;
      const id = mailbox.peek('bob')[0]!.id;
      const before = out.of('bob').length;
      room.resume(bob, new FakeEndpoint('127.0.0.1:2'), byToken(bob));
      const resumed = out.of('bob').slice(before).flatMap((m) => (m.type === 'msg' && m.offline ? [m.id] : []));
      expect(resumed, 'once, not also from the backlog').to.deep.equal([id]);
      room.received(bob, id);
      expect(refusal(() => room.received(bob, id)), 'nothing else waits for a receipt').to.match(/^RECEIPT_UNEXPECTED: /);
      expect(mailbox.waiting('bob')).to.equal(0);
    });

    it('waits for the receipt before the lines replayed after the offline messages', () => {
      start(history(2));
      keepSmall(1);
      const bob = loginBob();
      expect([offline(), replayed()]).to.deep.equal([[1], []]);
      room.received(bob, 1);
      out.release();
      expect(replayed()).to.deep.equal([100]);
    });

    describe('a receipt that does not come within the heartbeat timeout', () => {
      const WAIT = heartbeatTimeout * 1000;
      /** bob, with 5 messages waiting (batches 1-2, 3-4, 5) and 2 lines to replay, logged in; his receipt overdue. */
      const overdue = () => {
        start(history(2));
        keepSmall(5);
        const bob = loginBob();
        clock.advance(WAIT - 1);
        expect([offline(), replayed()], 'still waiting for the receipt').to.deep.equal([[1, 2], []]);
        clock.advance(1);
        return bob;
      };
      const warnings = () => logs.filter((l) => l.startsWith('WARN '));

      it('ends the delivery with every message kept, lets the lines replayed through, and says so in the log, once', () => {
        const bob = overdue();
        out.release();
        out.release();
        expect(replayed()).to.deep.equal([100, 101]);
        expect(out.notices('bob').at(-1)).to.match(/^live: /);
        expect(offline(), 'no batch after the one not confirmed').to.deep.equal([1, 2]);
        expect(mailbox.waiting('bob'), 'nothing deleted').to.equal(5);
        expect(warnings()).to.deep.equal([
          "WARN Offline messages: bob's client did not confirm receiving 2 within 20 s; they stay kept for the next login, with the 3 not sent (a receipt that comes later still counts)",
        ]);
        clock.advance(10 * WAIT);
        expect([warnings().length, clock.pending()], 'said once; no timer left').to.deep.equal([1, 0]);
        room.end(bob, 'logout');
        loginBob();
        expect(offline(), 'the next login (a new recording) hands them again, from the first').to.deep.equal([1, 2]);
      });

      it('takes a receipt that comes later: the batch is deleted, and the rest follows the lines replayed', () => {
        const bob = overdue();
        room.received(bob, 2);
        expect(mailbox.waiting('bob')).to.equal(3);
        expect(logs).to.include("INFO Offline messages: bob's client confirmed receiving 2 late; deleted");
        out.release();
        out.release();
        expect([offline(), replayed()], 'the catch-up first, as it was under way').to.deep.equal([[1, 2], [100, 101]]);
        out.release();
        expect(offline()).to.deep.equal([1, 2, 3, 4]);
        room.received(bob, 4);
        room.received(bob, 5);
        expect([offline(), mailbox.waiting('bob'), clock.pending()]).to.deep.equal([[1, 2, 3, 4, 5], 0, 0]);
        const told = out.notices('bob').filter((n) => n.startsWith('offline_delivered'));
        expect(told, 'told how many waited once, at login, not again for the rest').to.deep.equal(['offline_delivered: 5 messages came while you were away:']);
      });

      it('times each batch from its own sending', () => {
        start();
        keepSmall(3);
        const bob = loginBob();
        clock.advance(WAIT - 1);
        room.received(bob, 2);
        clock.advance(WAIT - 1);
        room.received(bob, 3);
        expect([offline(), mailbox.waiting('bob'), warnings()]).to.deep.equal([[1, 2, 3], 0, []]);
      });
    });
  });

  it('replays a catch-up a batch per drain after the offline messages, then says where live chat begins', () => {
    start(history(3));
    keep(1);
    room.login('bob', false, false, new FakeEndpoint('127.0.0.1:1'), 99);
    expect([offline(), replayed()]).to.deep.equal([[1], []]);
    out.release(); // the offline batch taken
    out.release(); // the mailbox is empty: the catch-up starts
    expect(replayed()).to.deep.equal([100]);
    out.release();
    out.release();
    expect(replayed()).to.deep.equal([100, 101, 102]);
    expect(out.notices('bob').at(-1)).to.equal('live: Above: the 3 lines you missed. Live chat from here.');
  });

  it('bounds a /history page by its text: the newest lines that fit, and "more" above', () => {
    start(history(6));
    out.holdDrains = false;
    const bob = room.login('bob', false, false, new FakeEndpoint('127.0.0.1:1'));
    const before = replayed().length;
    room.history(bob, 103, 50);
    expect(replayed().slice(before), 'one 10 Ki line per 16 Ki page: the newest before 103').to.deep.equal([102]);
    expect(out.notices('bob').at(-1)).to.equal('history: 1 older line above; /history for more.');
  });

  it('keeps at most a quarter of --offline-max from one sender for one account; others still can leave theirs', async () => {
    start([], 8);
    room.login('bob', false, false, new FakeEndpoint('127.0.0.1:1'));
    const alice = room.login('alice', false, false, new FakeEndpoint('127.0.0.1:2'));
    const carol = room.login('carol', false, false, new FakeEndpoint('127.0.0.1:3'));
    room.end(room.find('bob')!, 'logout');
    // All three at once: the two being stored count already.
    const results = await Promise.allSettled(['one', 'two', 'three'].map((t) => room.leave(alice, 'bob', t)));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    expect(refused).to.deep.equal(['you already have 2 messages waiting for bob, the most one sender may leave (2 of the 8 an account may hold); yours was not kept']);
    await room.leave(carol, 'bob', 'call me');
    expect(mailbox.peek('bob').map((m) => `${m.from}: ${m.text}`)).to.deep.equal(['alice: one', 'alice: two', 'carol: call me']);
  });

  it('refuses a message the store could not keep (MAILBOX_FAILED, logged), and lets any other error through as the bug it is', async () => {
    start();
    room.login('bob', false, false, new FakeEndpoint('127.0.0.1:1'));
    const alice = room.login('alice', false, false, new FakeEndpoint('127.0.0.1:2'));
    room.end(room.find('bob')!, 'logout');
    mailbox.put = () => Promise.reject(new MailboxFailed('could not write offline.jsonl: the disk is full'));
    const failed = await room.leave(alice, 'bob', 'one').then(() => null, (e: unknown) => e);
    expect(failed).to.be.instanceOf(ChatError).and.include({ code: 'MAILBOX_FAILED' });
    const errors = () => logs.filter((l) => l.startsWith('ERROR'));
    expect(errors()).to.deep.equal(['ERROR Offline messages: one from alice for bob not kept: could not write offline.jsonl: the disk is full']);
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    mailbox.put = () => Promise.reject(bug);
    expect(await room.leave(alice, 'bob', 'two').then(() => null, (e: unknown) => e), 'thrown on, for the dispatcher to log with its stack').to.equal(bug);
    expect(errors(), 'not logged as a store failure').to.have.length(1);
  });
});
