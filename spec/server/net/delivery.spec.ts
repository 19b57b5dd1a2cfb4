/**
 * Delivery, the outbox over real connections (on in-memory streams): one encoding shared by every
 * recipient, a bounded backlog for a user whose connection dropped, and goodbyes that go out after
 * what was already queued.
 */
import { expect } from 'chai';
import type { Duplex } from 'node:stream';
import type { ServerMessage } from '../../../common/protocol.js';
import { Batcher } from '../../../server/net/batcher.js';
import type { ConnectionEvents } from '../../../server/net/connection.js';
import { BACKLOG_BYTES, Backlogs } from '../../../server/net/backlogs.js';
import { Delivery } from '../../../server/net/delivery.js';
import { Connection } from '../../../server/net/native-connection.js';
import { duplexPair } from '../../support/duplex-pair.js';
import { FakeClock } from '../../support/fake-clock.js';
import { TestClient } from '../../support/harness.js';

describe('Delivery (real connections on in-memory streams)', () => {
  let delivery: Delivery;
  let batcher: Batcher;
  const clock = new FakeClock();
  const closed: string[] = [];
  const events: ConnectionEvents = {
    message: () => {},
    invalid: () => {},
    // As the listener does: a closed connection asks delivery whether a user was lost with it.
    closed: (c, reason) => {
      const user = delivery.lost(c);
      closed.push(`${c.label}: ${reason}${user ? ` (lost ${user})` : ''}`);
    },
    fault: (_c, e) => {
      throw e;
    },
  };
  const peers: TestClient<Duplex>[] = [];

  beforeEach(() => {
    delivery = new Delivery(new Backlogs(BACKLOG_BYTES, 64 << 20));
    batcher = new Batcher();
    closed.length = 0;
  });
  afterEach(() => peers.splice(0).forEach((p) => p.close()));

  /** A connection on one end of a stream pair, and a test client reading the other end. */
  function connection(port: number): { conn: Connection; peer: TestClient<Duplex>; wrote: Buffer[] } {
    const [serverSide, clientSide] = duplexPair();
    const conn = new Connection(serverSide, '10.0.0.1', port, { maxBody: 1024, maxOutput: 1 << 20, clock, batcher }, events);
    const wrote: Buffer[] = [];
    const write = conn.write.bind(conn);
    conn.write = (bytes) => {
      wrote.push(bytes);
      write(bytes);
    };
    const peer = TestClient.over(clientSide);
    peers.push(peer);
    return { conn, peer, wrote };
  }

  const hi = (user: string): ServerMessage => ({ type: 'login_ok', user, created: false, guest: false });
  const line = (n: number, text = `line ${n}`): ServerMessage<'msg'> => ({ type: 'msg', id: n, from: 'x', ts: 0, scope: 'group', text });

  it('encodes a room message once and writes the same bytes to everyone but the one excepted', async () => {
    const [a, b, c] = [connection(1), connection(2), connection(3)];
    delivery.attach('a', a.conn, hi('a'));
    delivery.attach('b', b.conn, hi('b'));
    delivery.attach('c', c.conn, hi('c'));
    delivery.toRoom(line(1), 'c');
    expect(a.wrote).to.have.length(2);
    expect(b.wrote[1]).to.equal(a.wrote[1]); // the very same buffer
    expect(c.wrote).to.have.length(1);
    expect(await b.peer.line()).to.include({ id: 1, text: 'line 1' });
    expect(a.conn.state).to.equal('ready');
  });

  it('keeps what comes for a user whose connection dropped, newest 256 KiB, and hands it over after the greeting', async () => {
    const first = connection(1);
    delivery.attach('a', first.conn, hi('a'));
    first.conn.destroy('test: cut');
    expect(closed).to.deep.equal(['10.0.0.1:1: test: cut (lost a)']);
    expect(delivery.lost(first.conn), 'reported once').to.equal(undefined);
    const big = 'z'.repeat(60 * 1024);
    for (let n = 1; n <= 6; n++) delivery.toUser('a', line(n, big));
    const again = connection(2);
    delivery.attach('a', again.conn, hi('a'));
    const kept = again.wrote.slice(1).reduce((sum, b) => sum + b.length, 0);
    expect(kept).to.be.at.most(BACKLOG_BYTES);
    await again.peer.next((m) => m.type === 'msg' && m.id === 6);
    expect(again.peer.received.map((m) => (m.type === 'msg' ? m.id : m.type))).to.deep.equal(['login_ok', 3, 4, 5, 6]);
  });

  it('ends a user with the goodbye after what was queued, closes the connection, and forgets them', async () => {
    const a = connection(1);
    delivery.attach('a', a.conn, hi('a'));
    delivery.toUser('a', line(1));
    delivery.end('a', { type: 'bye', reason: 'logout', message: 'Goodbye, a!' });
    expect(a.conn.closed).to.equal(true);
    expect(closed).to.deep.equal(['10.0.0.1:1: logout']);
    await a.peer.whenClosed();
    expect(a.peer.received.map((m) => m.type)).to.deep.equal(['login_ok', 'msg', 'bye']);
    expect(delivery.lost(a.conn), 'not a lost connection: the session ended').to.equal(undefined);
    delivery.toUser('a', line(2)); // nobody: nothing happens
    delivery.end('a');
  });

  it('reports a lost connection once, and only for the connection its user is on', () => {
    const [first, second] = [connection(1), connection(2)];
    const stranger = connection(3);
    delivery.attach('a', first.conn, hi('a'));
    expect(delivery.lost(stranger.conn)).to.equal(undefined);
    expect(delivery.lost(first.conn)).to.equal('a');
    expect(delivery.lost(first.conn)).to.equal(undefined);
    delivery.attach('a', second.conn, hi('a'));
    expect(delivery.lost(first.conn), 'an old connection of a resumed user').to.equal(undefined);
  });
});
