/**
 * File transfers on the server, on their own: a room with a recording outbox and a fake clock,
 * no TCP. Every rule the server holds a transfer to, with what each user is told.
 */
import { expect } from 'chai';
import type { ClientMessage, ServerMessage } from '../../../common/protocol.js';
import { Room } from '../../../server/chat/room.js';
import type { Session } from '../../../server/chat/session.js';
import { Transfers } from '../../../server/chat/transfers.js';
import { MAX_CHUNKS_IN_FLIGHT } from '../../../common/protocol.js';
import { makeConfig } from '../../../server/config.js';
import { memoryLogger } from '../../../server/logger.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeEndpoint, RecordingOutbox, refusal } from '../../support/recorder.js';

const SHA = Buffer.alloc(32, 1).toString('base64');
const KB = 1024;

describe('server/chat/transfers (recording outbox, fake clock)', () => {
  let clock: FakeClock;
  let out: RecordingOutbox;
  let room: Room<FakeEndpoint>;
  let files: Transfers<FakeEndpoint>;
  let logs: string[];

  beforeEach(() => {
    clock = new FakeClock();
    out = new RecordingOutbox();
    const log = memoryLogger();
    logs = log.lines;
    // 256 KiB window (--max-output 1 MiB), 1 MiB/s, offers expire after 60 s.
    const config = makeConfig({ maxFile: 10 * 1024 * KB, fileRate: 1024 * KB, maxOutput: 1024 * KB, pmTimeout: 60 });
    room = new Room(config, clock, log, out);
    files = new Transfers(config, room, out, clock, log);
  });

  const login = (name: string, features: ('e2e' | 'files')[] = ['e2e', 'files']): Session<FakeEndpoint> => {
    const s = room.login(name, false, false, new FakeEndpoint(`127.0.0.1:${1000 + room.count}`));
    s.features = new Set(features);
    return s;
  };
  const transfers = (user: string) => out.of(user).filter((m): m is ServerMessage<'transfer'> => m.type === 'transfer');
  const events = (user: string) => transfers(user).map((m) => (m.reason ? `${m.event} (${m.reason})` : m.event));
  const chunks = (user: string) => out.of(user).filter((m): m is ServerMessage<'file_chunk'> => m.type === 'file_chunk');
  const offer = (me: Session<FakeEndpoint>, to: string, size: number, id = 'f1', extra: Partial<ClientMessage<'file_offer'>> = {}) =>
    files.offer(me, { type: 'file_offer', to, id, size, name: 'report.pdf', sha256: SHA, ...extra });
  const chunk = (me: Session<FakeEndpoint>, seq: number, bytes: number, id = 'f1') => files.chunk(me, { type: 'file_chunk', id, seq, data: Buffer.alloc(bytes, seq) });

  it('offers a file to its receiver with its size, name and digest, and tells the sender it waits', () => {
    const alice = login('alice');
    login('bob');
    offer(alice, 'bob', 2_400_000);
    expect(transfers('bob')[0]).to.deep.include({ event: 'offer', id: 'f1', from: 'alice', to: 'bob', size: 2_400_000, name: 'report.pdf', sha256: SHA });
    expect(transfers('bob')[0]!.message).to.equal('alice wants to send you a file (2.3 MiB)');
    expect(events('alice')).to.deep.equal(['offered']);
    expect(logs.at(-1)).to.equal('INFO File transfer alice/f1 offered by alice to bob (2400000 bytes)');
  });

  it('refuses offers the rules do not allow, each in words', () => {
    const alice = login('alice');
    const bob = login('bob');
    login('irc_carol', []);
    login('carol');
    login('dave');
    expect(refusal(() => offer(alice, 'nobody', 10))).to.equal('NO_SUCH_USER: nobody is not online');
    expect(refusal(() => offer(alice, 'alice', 10))).to.equal('FILE_SELF: you cannot send a file to yourself');
    expect(refusal(() => offer(alice, 'irc_carol', 10))).to.match(/^FILES_UNSUPPORTED: irc_carol's client cannot receive files/);
    expect(refusal(() => offer(alice, 'bob', 10 * 1024 * KB + 1))).to.equal('FILE_TOO_BIG: the file is too big: 10485761 bytes, this server relays at most 10485760');
    expect(refusal(() => offer(alice, 'bob', 0))).to.match(/^FILE_BAD_OFFER: .*empty/);
    expect(refusal(() => offer(alice, 'bob', 10, 'x', { meta: Buffer.alloc(40).toString('base64') }))).to.match(/^FILE_BAD_OFFER: bad file offer: give the name and sha256, or the sealed meta, not both/);
    offer(alice, 'bob', 10, 'a');
    expect(refusal(() => offer(alice, 'carol', 10, 'a'))).to.equal('FILE_ID_TAKEN: you already have a transfer with id a');
    offer(alice, 'carol', 10, 'b');
    expect(refusal(() => offer(alice, 'dave', 10, 'c'))).to.match(/^FILE_BUSY: you already have 2 file transfers under way/);
    // bob says yes to two: both his places are taken.
    const dave = room.find('dave')!;
    const erin = login('erin');
    offer(dave, 'bob', 10, 'd');
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'a', accept: true });
    files.answer(bob, { type: 'file_answer', from: 'dave', id: 'd', accept: true });
    expect(refusal(() => offer(erin, 'bob', 10, 'e'))).to.match(/^FILE_BUSY: bob already has 2 file transfers under way/);
  });

  const answer = (me: Session<FakeEndpoint>, from: string, id: string, accept = true) => files.answer(me, { type: 'file_answer', from, id, accept });

  it("takes none of the receiver's places with offers it has not answered: a stranger cannot block its transfers", () => {
    const victim = login('victim');
    const friend = login('friend');
    const stranger = login('stranger');
    offer(stranger, 'victim', 10, 'h1');
    expect(refusal(() => offer(stranger, 'victim', 10, 'h2'))).to.equal(
      'FILE_OFFER_PENDING: your file offer to victim is still waiting for an answer; offer the next once it is answered',
    );
    offer(friend, 'victim', 10, 'gift');
    offer(victim, 'friend', 10, 'mine');
    expect(events('victim')).to.deep.equal(['offer', 'offer', 'offered']);
    // The friend's yes and the victim's to the friend: two transfers each, and the stranger's offer waits on.
    answer(friend, 'victim', 'mine');
    answer(victim, 'friend', 'gift');
    expect(files.size).to.equal(3);
  });

  it('keeps at most 4 offers waiting for one receiver; the fifth sender is told, and a place frees as one is answered or expires', () => {
    const bob = login('bob');
    const senders = ['s1', 's2', 's3', 's4', 's5'].map((n) => login(n));
    for (const s of senders.slice(0, 4)) offer(s, 'bob', 10);
    expect(refusal(() => offer(senders[4]!, 'bob', 10))).to.equal('FILE_OFFERS_FULL: bob already has 4 file offers waiting for an answer; try again later');
    answer(bob, 's1', 'f1', false);
    offer(senders[4]!, 'bob', 10);
    clock.advance(60_000);
    files.sweep();
    expect(files.size).to.equal(0);
    offer(senders[0]!, 'bob', 10);
  });

  it('counts an offer against its sender from the start: two unanswered offers are all a sender may have out', () => {
    const mallory = login('mallory');
    for (const n of ['a', 'b', 'c']) login(n);
    offer(mallory, 'a', 10, 'x');
    offer(mallory, 'b', 10, 'y');
    expect(refusal(() => offer(mallory, 'c', 10, 'z'))).to.match(/^FILE_BUSY: you already have 2 file transfers under way/);
  });

  it("refuses a yes to the receiver whose places are taken, and the offer waits until one is free", () => {
    const bob = login('bob');
    const [a, c, d] = ['a', 'c', 'd'].map((n) => login(n));
    for (const s of [a!, c!, d!]) offer(s, 'bob', 10);
    answer(bob, 'a', 'f1');
    answer(bob, 'c', 'f1');
    expect(refusal(() => answer(bob, 'd', 'f1'))).to.match(/^FILE_BUSY: you already have 2 file transfers under way/);
    expect(events('d')).to.deep.equal(['offered']); // the sender is told nothing: its offer still waits
    files.cancel(a!, { type: 'file_cancel', id: 'f1' });
    answer(bob, 'd', 'f1');
    expect(events('d')).to.deep.equal(['offered', 'accepted']);
  });

  it('refuses every offer on a server started with --max-file 0, and one to a user this server cannot reach', () => {
    const none = new Transfers(makeConfig({ maxFile: 0 }), room, out, clock, memoryLogger());
    const alice = login('alice');
    const bob = login('bob');
    expect(refusal(() => none.offer(alice, { type: 'file_offer', to: 'bob', id: 'f', size: 10, name: 'a', sha256: SHA }))).to.equal(
      'FILE_BAD_OFFER: bad file offer: this server relays no files',
    );
    // A cluster: bob is connected to another server, which cannot be reached now.
    const split = new Transfers(makeConfig({ maxFile: 100 }), room, out, clock, memoryLogger(), { serverOf: (s) => (s === bob ? 'b' : null), send: () => false });
    expect(refusal(() => split.offer(alice, { type: 'file_offer', to: 'bob', id: 'f', size: 10, name: 'a', sha256: SHA }))).to.match(/^FILE_ELSEWHERE: the server bob is connected to did not take the offer/);
  });

  it('relays chunks to the receiver as they come, in order, after the yes; keeps nothing; done when the receiver says so', () => {
    const alice = login('alice');
    const bob = login('bob');
    offer(alice, 'bob', 100 * KB);
    expect(refusal(() => chunk(alice, 0, KB))).to.match(/^FILE_NOT_STARTED/);
    clock.advance(2_000); // bob takes 2 s to say yes: not part of the transfer's time
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'f1', accept: true });
    expect(events('alice')).to.deep.equal(['offered', 'accepted']);
    for (let seq = 0; seq < 4; seq++) chunk(alice, seq, 25 * KB);
    clock.advance(300);
    expect(chunks('bob').map((c) => [c.seq, c.data.length, c.from])).to.deep.equal([[0, 25 * KB, 'alice'], [1, 25 * KB, 'alice'], [2, 25 * KB, 'alice'], [3, 25 * KB, 'alice']]);
    files.ack(bob, { type: 'file_ack', from: 'alice', id: 'f1', seq: 3 });
    expect(out.of('alice').filter((m) => m.type === 'file_ack')).to.deep.equal([{ type: 'file_ack', id: 'f1', to: 'bob', seq: 3 }]);
    files.done(bob, { type: 'file_done', from: 'alice', id: 'f1', ok: true });
    expect(events('alice')).to.deep.equal(['offered', 'accepted', 'done']);
    expect(events('bob')).to.deep.equal(['offer', 'accepted', 'done']);
    expect(files.size).to.equal(0);
    expect(files.relayed, 'counted for /metrics').to.equal(100 * KB);
    expect(files.outcomes).to.include({ offered: 1, done: 1 });
    expect(logs.at(-1)).to.match(/^INFO File transfer alice\/f1 from alice to bob completed \(102400 bytes in 0\.3 s\)$/);
    expect(logs.join('\n')).to.not.include('report.pdf');
  });

  it('cuts off a sender that sends more than it offered (a lying size)', () => {
    const alice = login('alice');
    const bob = login('bob');
    offer(alice, 'bob', 10 * KB);
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'f1', accept: true });
    chunk(alice, 0, 8 * KB);
    chunk(alice, 1, 4 * KB);
    expect(chunks('bob')).to.have.length(1);
    expect(events('bob').at(-1)).to.equal('failed (oversent)');
    expect(transfers('alice').at(-1)!.message).to.match(/alice sent more than the size offered \(cut off\)/);
    expect(refusal(() => chunk(alice, 2, 1))).to.match(/^FILE_NO_SUCH/);
    expect(logs.at(-1)).to.match(/^WARN File transfer alice\/f1 .* failed after 8192 of 10240 bytes: oversent$/);
  });

  it('cuts off chunks out of order, past the window, or faster than the file rate', () => {
    const alice = login('alice');
    const bob = login('bob');
    const start = (id: string) => {
      offer(alice, 'bob', 5 * 1024 * KB, id);
      files.answer(bob, { type: 'file_answer', from: 'alice', id, accept: true });
    };
    start('order');
    chunk(alice, 1, KB, 'order');
    expect(events('bob').at(-1)).to.equal('failed (protocol)');
    start('window');
    // The window is 256 KiB: eight 32 KiB chunks fit, the ninth does not until an ack.
    for (let seq = 0; seq < 8; seq++) chunk(alice, seq, 32 * KB, 'window');
    files.ack(bob, { type: 'file_ack', from: 'alice', id: 'window', seq: 0 });
    chunk(alice, 8, 32 * KB, 'window');
    chunk(alice, 9, 32 * KB, 'window');
    expect(events('bob').at(-1)).to.equal('failed (window)');
    expect(MAX_CHUNKS_IN_FLIGHT).to.be.above(8);
    // The allowance is the sender's, across transfers: time refills what the two above spent.
    clock.advance(3000);
    start('rate');
    // 1 MiB/s with a burst of 2 s and a window: 2.25 MiB at once, then 1 MiB a second.
    let seq = 0;
    const send = (n: number) => {
      for (let i = 0; i < n; i++) {
        chunk(alice, seq, 32 * KB, 'rate');
        files.ack(bob, { type: 'file_ack', from: 'alice', id: 'rate', seq });
        seq++;
      }
    };
    send(72); // 2.25 MiB
    expect(events('bob').at(-1)).to.equal('accepted');
    clock.advance(1000);
    send(32); // the second's 1 MiB
    expect(events('bob').at(-1)).to.equal('accepted');
    chunk(alice, seq, 32 * KB, 'rate');
    expect(events('bob').at(-1)).to.equal('failed (rate)');
  });

  it('refuses a sealed chunk in an open transfer, and counts a sealed chunk\'s file bytes without its overhead', () => {
    const alice = login('alice');
    const bob = login('bob');
    offer(alice, 'bob', 100, 'm', { name: undefined, sha256: undefined, meta: Buffer.alloc(60).toString('base64') });
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'm', accept: true });
    files.chunk(alice, { type: 'file_chunk', id: 'm', seq: 0, data: Buffer.alloc(125), sealed: true });
    expect(events('bob').at(-1)).to.equal('accepted');
    files.ack(bob, { type: 'file_ack', from: 'alice', id: 'm', seq: 0 });
    files.done(bob, { type: 'file_done', from: 'alice', id: 'm', ok: true });
    expect(events('bob').at(-1)).to.equal('done');
    offer(alice, 'bob', 100, 'o');
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'o', accept: true });
    files.chunk(alice, { type: 'file_chunk', id: 'o', seq: 0, data: Buffer.alloc(125), sealed: true });
    expect(events('bob').at(-1)).to.equal('failed (protocol)');
  });

  it('tells both sides of a refusal, a cancel by either side, and a receiver whose check failed', () => {
    const alice = login('alice');
    const bob = login('bob');
    offer(alice, 'bob', 10, 'r');
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'r', accept: false });
    expect([events('alice').at(-1), events('bob').at(-1)]).to.deep.equal(['refused', 'refused']);
    offer(alice, 'bob', 10, 'c');
    files.cancel(bob, { type: 'file_cancel', id: 'c', from: 'alice' });
    expect(transfers('alice').at(-1)).to.deep.include({ event: 'cancelled', by: 'bob', message: 'bob cancelled the file transfer' });
    offer(alice, 'bob', 10, 'k');
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'k', accept: true });
    chunk(alice, 0, 10, 'k');
    files.done(bob, { type: 'file_done', from: 'alice', id: 'k', ok: false });
    expect(events('alice').at(-1)).to.equal('failed (check)');
    expect(refusal(() => files.cancel(bob, { type: 'file_cancel', id: 'k', from: 'alice' }))).to.match(/^FILE_NO_SUCH/);
  });

  it('ends a transfer whose sender or receiver loses the connection, and tells the other', () => {
    const alice = login('alice');
    const bob = login('bob');
    offer(alice, 'bob', 100 * KB);
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'f1', accept: true });
    chunk(alice, 0, 10 * KB);
    room.lost('alice', alice.at!, 'connection reset');
    expect(events('bob').at(-1)).to.equal('failed (lost)');
    expect(transfers('bob').at(-1)!.message).to.equal("The file transfer from alice to bob failed: alice's connection was lost");
  });

  it('names the receiver when it is the receiver who is gone', () => {
    const alice = login('alice');
    const bob = login('bob');
    offer(alice, 'bob', 100 * KB);
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'f1', accept: true });
    room.lost('bob', bob.at!, 'connection reset');
    expect(transfers('alice').at(-1)!.message).to.equal("The file transfer from alice to bob failed: bob's connection was lost");
    expect(files.size).to.equal(0);
  });

  it('expires an offer unanswered for --pm-timeout, and fails a transfer without progress as long (a receiver that stopped reading)', () => {
    const alice = login('alice');
    const bob = login('bob');
    offer(alice, 'bob', 100 * KB, 'quiet');
    clock.advance(59_000);
    files.sweep();
    expect(events('bob')).to.deep.equal(['offer']);
    clock.advance(1_000);
    files.sweep();
    expect(events('bob').at(-1)).to.equal('expired');
    offer(alice, 'bob', 100 * KB, 'stall');
    files.answer(bob, { type: 'file_answer', from: 'alice', id: 'stall', accept: true });
    chunk(alice, 0, 32 * KB, 'stall');
    clock.advance(60_000);
    files.sweep();
    expect(events('alice').at(-1)).to.equal('failed (stalled)');
  });
});
