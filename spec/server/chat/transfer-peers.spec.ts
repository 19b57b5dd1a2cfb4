/**
 * A transfer between users of two servers, its two halves on their own: two rooms (each server's
 * copy of the same users), two Transfers, and between them a pipe that carries PeerMessages in
 * order and can lose them, as Redis pub/sub may. A fake clock; no Redis, no TCP.
 */
import { expect } from 'chai';
import { ChatError } from '../../../common/errors.js';
import type { ServerMessage } from '../../../common/protocol.js';
import { Room } from '../../../server/chat/room.js';
import type { Session } from '../../../server/chat/session.js';
import type { FilePeers, PeerMessage } from '../../../server/chat/transfer-peers.js';
import { OFFER_VERDICT_MS, Transfers } from '../../../server/chat/transfers.js';
import { makeConfig } from '../../../server/config.js';
import { memoryLogger } from '../../../server/logger.js';
import { FakeClock } from '../../support/fake-clock.js';
import { FakeEndpoint, RecordingOutbox, refusal } from '../../support/recorder.js';

const SHA = Buffer.alloc(32, 1).toString('base64');
const KB = 1024;
type E = FakeEndpoint;

/** One server: its copy of the room, its transfers, what its users received. */
interface Server {
  name: string;
  room: Room<E>;
  out: RecordingOutbox;
  files: Transfers<E>;
  /** Where each user is connected (a server's name), as this server knows it. */
  where: Map<string, string>;
  /** Whether its channel is listened to (a server gone: PUBLISH finds nobody). */
  listening: boolean;
  logs: string[];
}

describe('server/chat/transfers between two servers (two halves, a lossy pipe, fake clock)', () => {
  let clock: FakeClock;
  let a: Server;
  let b: Server;
  let queue: { to: Server; from: Server; msg: PeerMessage }[];
  /** Which messages the pipe loses (a subscriber reconnecting, say). */
  let lose: (msg: PeerMessage) => boolean;

  const config = makeConfig({ maxFile: 10 * 1024 * KB, fileRate: 1024 * KB, maxOutput: 1024 * KB, pmTimeout: 60 });

  function server(name: string): Server {
    const log = memoryLogger();
    const out = new RecordingOutbox();
    const room = new Room(config, clock, log, out);
    const where = new Map<string, string>();
    const s = { name, room, out, where, listening: true, logs: log.lines } as Server;
    const peers: FilePeers<E> = {
      serverOf: (user: Session<E>) => {
        const at = where.get(user.key) ?? name;
        return at === name ? null : at;
      },
      send: (to, msg) => {
        queue.push({ to: to === a.name ? a : b, from: s, msg });
        return true;
      },
    };
    s.files = new Transfers(config, room, out, clock, log, peers);
    return s;
  }

  /** Delivers what is on its way, in order, and what that makes the halves send. */
  function flush(): void {
    while (queue.length > 0) {
      const { to, from, msg } = queue.shift()!;
      if (lose(msg)) continue;
      if (!to.listening) from.files.undelivered(to.name, msg);
      else to.files.fromPeer(from.name, msg);
    }
  }

  beforeEach(() => {
    clock = new FakeClock();
    queue = [];
    lose = () => false;
    a = server('A');
    b = server('B');
  });

  /** `name` logged in to `home`; both copies of the room know them. */
  function user(name: string, home: Server): [Session<E>, Session<E>] {
    const copies = [a, b].map((s) => {
      const session = s.room.login(name, false, false, new FakeEndpoint(`127.0.0.1:${1000 + s.room.count}`));
      session.features = new Set(['e2e', 'files']);
      s.where.set(session.key, home.name);
      return session;
    }) as [Session<E>, Session<E>];
    return copies;
  }

  const transfers = (s: Server, user: string) => s.out.of(user).filter((m): m is ServerMessage<'transfer'> => m.type === 'transfer');
  const events = (s: Server, user: string) => transfers(s, user).map((m) => (m.reason ? `${m.event} (${m.reason})` : m.event));
  const offer = (s: Server, me: Session<E>, to: string, id = 'f1') => s.files.offer(me, { type: 'file_offer', to, id, size: 100 * KB, name: 'report.pdf', sha256: SHA });
  const chunk = (me: Session<E>, seq: number, id = 'f1') => a.files.chunk(me, { type: 'file_chunk', id, seq, data: Buffer.alloc(25 * KB, seq) });

  /** alice on A has offered bob on B a file, and bob said yes. */
  async function running(): Promise<{ alice: Session<E>; bob: Session<E> }> {
    const [alice] = user('alice', a);
    const [, bob] = user('bob', b);
    const offered = offer(a, alice, 'bob');
    flush();
    await offered;
    b.files.answer(bob, { type: 'file_answer', from: 'alice', id: 'f1', accept: true });
    flush();
    return { alice, bob };
  }

  it('runs a transfer across the two servers: each user told by their own, chunks and acks passed on, counted once', async () => {
    const { alice, bob } = await running();
    expect(events(a, 'alice')).to.deep.equal(['offered', 'accepted']);
    expect(events(b, 'bob')).to.deep.equal(['offer', 'accepted']);
    expect(transfers(b, 'bob')[0]).to.deep.include({ from: 'alice', to: 'bob', size: 100 * KB, name: 'report.pdf', sha256: SHA });
    // Neither server speaks to the other's user.
    expect(events(a, 'bob')).to.deep.equal([]);
    expect(events(b, 'alice')).to.deep.equal([]);
    for (let seq = 0; seq < 4; seq++) chunk(alice, seq);
    flush();
    const got = b.out.of('bob').filter((m): m is ServerMessage<'file_chunk'> => m.type === 'file_chunk');
    expect(got.map((c) => [c.seq, c.data.length, c.data[0]])).to.deep.equal([[0, 25 * KB, 0], [1, 25 * KB, 1], [2, 25 * KB, 2], [3, 25 * KB, 3]]);
    b.files.ack(bob, { type: 'file_ack', from: 'alice', id: 'f1', seq: 3 });
    flush();
    expect(a.out.of('alice').filter((m) => m.type === 'file_ack')).to.deep.equal([{ type: 'file_ack', id: 'f1', to: 'bob', seq: 3 }]);
    b.files.done(bob, { type: 'file_done', from: 'alice', id: 'f1', ok: true });
    flush();
    expect(events(a, 'alice').at(-1)).to.equal('done');
    expect(events(b, 'bob').at(-1)).to.equal('done');
    expect([a.files.size, b.files.size]).to.deep.equal([0, 0]);
    expect(a.files.outcomes).to.deep.include({ offered: 1, done: 1 });
    expect(b.files.outcomes).to.deep.include({ offered: 0, done: 0 });
    expect(a.files.relayed).to.equal(100 * KB);
  });

  it("refuses to the sender what the receiver's server refuses, in the order the sender asked", async () => {
    const [alice] = user('alice', a);
    user('bob', b);
    for (const name of ['c1', 'c2', 'c3', 'c4']) offer(b, user(name, b)[1], 'bob');
    const settled: string[] = [];
    const first = Promise.resolve(offer(a, alice, 'bob')).then(
      () => settled.push('to bob: taken'),
      (e: ChatError) => settled.push(`to bob: ${e.code}`),
    );
    // alice's next offer waits for the answer to her first, though it could be refused at once.
    const second = Promise.resolve(offer(a, alice, 'nobody', 'f2')).then(
      () => settled.push('to nobody: taken'),
      (e: ChatError) => settled.push(`to nobody: ${e.code}`),
    );
    flush();
    await Promise.all([first, second]);
    expect(settled).to.deep.equal(['to bob: FILE_OFFERS_FULL', 'to nobody: NO_SUCH_USER']);
    expect(events(a, 'alice')).to.deep.equal([]);
    expect(events(b, 'bob')).to.deep.equal(['offer', 'offer', 'offer', 'offer']);
    expect([a.files.size, b.files.size]).to.deep.equal([0, 4]);
  });

  it('fails the transfer for both when a chunk is lost between the servers', async () => {
    const { alice } = await running();
    lose = (m) => m.k === 'chunk' && m.seq === 1;
    for (let seq = 0; seq < 3; seq++) chunk(alice, seq);
    flush();
    expect(events(b, 'bob').at(-1)).to.equal('failed (relay)');
    expect(events(a, 'alice').at(-1)).to.equal('failed (relay)');
    expect(transfers(a, 'alice').at(-1)!.message).to.equal('The file transfer from alice to bob failed: the servers of the cluster lost touch while passing it on');
    expect([a.files.size, b.files.size]).to.deep.equal([0, 0]);
  });

  it('ends every transfer with a half elsewhere when its server stops hearing the others, and no other', async () => {
    const { alice } = await running();
    const [carol] = user('carol', a);
    user('dave', a);
    const local = offer(a, carol, 'dave', 'f2');
    flush();
    await local;
    chunk(alice, 0);
    // B heard nothing for a while: the chunk is lost with nothing to say so.
    lose = () => true;
    flush();
    b.files.deaf();
    lose = () => false;
    flush();
    expect(events(b, 'bob').at(-1)).to.equal('failed (relay)');
    expect(events(a, 'alice').at(-1)).to.equal('failed (relay)');
    expect([a.files.size, b.files.size], 'the transfer between users of A stays').to.deep.equal([1, 0]);
    a.files.deaf();
    expect(events(a, 'carol').at(-1)).to.equal('offered');
    expect(a.files.size).to.equal(1);
  });

  it('refuses an offer the other server never answers after OFFER_VERDICT_MS, as FILE_ELSEWHERE', async () => {
    const [alice] = user('alice', a);
    user('bob', b);
    lose = () => true;
    const offered = Promise.resolve(offer(a, alice, 'bob')).catch((e: ChatError) => `${e.code}: ${e.message}`);
    flush();
    clock.advance(OFFER_VERDICT_MS - 1000);
    a.files.sweep();
    expect(a.files.size).to.equal(1);
    clock.advance(1000);
    a.files.sweep();
    expect(await offered).to.match(/^FILE_ELSEWHERE: the server bob is connected to did not take the offer/);
    expect(a.files.size).to.equal(0);
  });

  it("ends the receiver's half when the sender's end was lost: its next step is answered with the end", async () => {
    const { alice, bob } = await running();
    chunk(alice, 0);
    flush();
    lose = (m) => m.k === 'cancel';
    a.files.cancel(alice, { type: 'file_cancel', id: 'f1' });
    flush();
    expect(events(a, 'alice').at(-1)).to.equal('cancelled');
    expect(b.files.size).to.equal(1);
    lose = () => false;
    b.files.ack(bob, { type: 'file_ack', from: 'alice', id: 'f1', seq: 0 });
    flush();
    expect(events(b, 'bob').at(-1)).to.equal('failed (relay)');
    expect(b.files.size).to.equal(0);
  });

  it('ends both halves after --pm-timeout when every step is lost, and at once when nobody listens on the other side', async () => {
    const { alice } = await running();
    lose = () => true;
    chunk(alice, 0);
    flush();
    clock.advance(60_000);
    a.files.sweep();
    b.files.sweep();
    expect(events(a, 'alice').at(-1)).to.equal('failed (stalled)');
    expect(events(b, 'bob').at(-1)).to.equal('failed (stalled)');

    // bob's server is gone: the next chunk finds nobody listening, and alice hears it at once.
    lose = () => false;
    const [, carol] = user('carol', b);
    const offered = offer(a, alice, 'carol', 'f2');
    flush();
    await offered;
    b.files.answer(carol, { type: 'file_answer', from: 'alice', id: 'f2', accept: true });
    flush();
    b.listening = false;
    chunk(alice, 0, 'f2');
    flush();
    expect(events(a, 'alice').at(-1)).to.equal('failed (relay)');
    expect(a.files.size).to.equal(0);
  });

  it('ends a transfer whose user moved to another server, naming them, and a half whose user left this one', async () => {
    const { alice } = await running();
    chunk(alice, 0);
    flush();
    a.where.set('bob', 'C');
    a.files.sweep();
    expect(transfers(a, 'alice').at(-1)!.message).to.equal("The file transfer from alice to bob failed: bob's connection was lost");
    flush();
    expect(events(b, 'bob').at(-1)).to.equal('failed (lost)');
    expect(refusal(() => chunk(alice, 1))).to.match(/^FILE_NO_SUCH/);
  });

  it("at shutdown, tells the other server's user that this server's user is gone, not themselves", async () => {
    await running();
    b.files.shutdown();
    b.room.shutdown();
    flush();
    expect(transfers(a, 'alice').at(-1)!.message).to.equal("The file transfer from alice to bob failed: bob's connection was lost");
  });
});
