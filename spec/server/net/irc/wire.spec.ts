/**
 * IRC as a Wire under Delivery (in-memory streams): a group line is encoded once for all IRC
 * users and once for all native ones, its IRC sender gets nothing, and what differs per recipient
 * (a private line, a numeric) is encoded for each.
 */
import { expect } from 'chai';
import type { Duplex } from 'node:stream';
import type { ServerMessage } from '../../../../common/protocol.js';
import { BACKLOG_BYTES, Backlogs } from '../../../../server/net/backlogs.js';
import { Batcher } from '../../../../server/net/batcher.js';
import type { BaseConnection, ConnectionEvents } from '../../../../server/net/connection.js';
import { Delivery } from '../../../../server/net/delivery.js';
import { IrcConnection } from '../../../../server/net/irc/connection.js';
import { Connection } from '../../../../server/net/native-connection.js';
import { IrcWire } from '../../../../server/net/irc/wire.js';
import { duplexPair } from '../../../support/duplex-pair.js';
import { FakeClock } from '../../../support/fake-clock.js';

describe('IRC wire under Delivery (in-memory streams)', () => {
  const clock = new FakeClock();
  const events: ConnectionEvents = { message: () => {}, invalid: () => {}, closed: () => {}, fault: (_c, e) => { throw e; } };
  const streams: Duplex[] = [];
  let delivery: Delivery;
  let batcher: Batcher;
  const wire = new IrcWire('#tinychat');

  beforeEach(() => {
    delivery = new Delivery(new Backlogs(BACKLOG_BYTES, 64 << 20));
    batcher = new Batcher();
  });
  afterEach(() => streams.splice(0).forEach((s) => s.destroy()));

  /** A connection whose writes are recorded (the very buffers Delivery hands it; nothing is not a write). */
  function spy<C extends BaseConnection>(make: (stream: Duplex) => C): { conn: C; wrote: Buffer[] } {
    const [server, client] = duplexPair();
    streams.push(server, client);
    client.on('data', () => {});
    const conn = make(server);
    const wrote: Buffer[] = [];
    const write = conn.write.bind(conn);
    conn.write = (bytes: Buffer) => {
      if (bytes.length > 0) wrote.push(bytes);
      write(bytes);
    };
    return { conn, wrote };
  }
  const options = () => ({ maxBody: 1024, maxOutput: 1 << 20, clock, batcher });
  const irc = (port: number) => spy((s) => new IrcConnection(s, '10.0.0.1', port, options(), events, wire, { channel: '#tinychat', pingMs: 10_000, alive: () => {} }));
  const native = (port: number) => spy((s) => new Connection(s, '10.0.0.1', port, options(), events));
  const hi = (user: string): ServerMessage<'login_ok'> => ({ type: 'login_ok', user, created: false, guest: false, online: [], count: 0 });
  const text = (b: Buffer | undefined) => b?.toString('utf8');

  it('encodes a group line once for every IRC user but its sender, and once for the native ones', () => {
    const [alice, bob, carol, dave] = [irc(1), irc(2), irc(3), native(4)];
    delivery.attach('alice', alice.conn, hi('alice'));
    delivery.attach('bob', bob.conn, hi('bob'));
    delivery.attach('carol', carol.conn, hi('carol'));
    delivery.attach('dave', dave.conn, hi('dave'));
    delivery.toRoom({ type: 'msg', id: 1, from: 'Alice', ts: 0, scope: 'group', text: 'hello' });
    expect(alice.wrote, 'no echo to its sender').to.have.length(1);
    expect(text(bob.wrote[1])).to.equal(':Alice!Alice@tinychat PRIVMSG #tinychat :hello\r\n');
    expect(carol.wrote[1], 'the very same bytes').to.equal(bob.wrote[1]);
    expect(dave.wrote[1]!.readUInt16BE(0), 'a native frame').to.be.greaterThan(0);
  });

  it('encodes what names its recipient for each: a private line, a who reply', () => {
    const [alice, bob] = [irc(1), irc(2)];
    delivery.attach('alice', alice.conn, hi('alice'));
    delivery.attach('bob', bob.conn, hi('bob'));
    delivery.toUsers(['bob', 'alice'], { type: 'msg', id: 2, from: 'alice', ts: 0, scope: 'private', to: 'bob', text: 'psst' });
    expect(text(bob.wrote[1])).to.equal(':alice!alice@tinychat PRIVMSG bob :psst\r\n');
    expect(alice.wrote).to.have.length(1);
    alice.conn.peer.asked.push({ kind: 'names' });
    delivery.toUser('alice', { type: 'who', online: ['alice', 'bob'], count: 2 });
    expect(text(alice.wrote[1])).to.equal(':tinychat 353 alice = #tinychat :alice bob\r\n:tinychat 366 alice #tinychat :End of /NAMES list.\r\n');
  });

  it('keeps what comes for an IRC user whose connection dropped, and gives it to their next IRC connection', () => {
    const first = irc(1);
    delivery.attach('alice', first.conn, hi('alice'));
    first.conn.destroy('test: cut');
    expect(delivery.lost(first.conn)).to.equal('alice');
    delivery.toRoom({ type: 'msg', id: 3, from: 'bob', ts: 0, scope: 'group', text: 'while you were away' });
    const again = irc(2);
    delivery.attach('alice', again.conn, hi('alice'));
    expect(text(again.wrote[1])).to.equal(':bob!bob@tinychat PRIVMSG #tinychat :while you were away\r\n');
  });

  it('drops what was kept in another protocol when the user comes back over the other one', () => {
    const first = irc(1);
    delivery.attach('alice', first.conn, hi('alice'));
    first.conn.destroy('test: cut');
    delivery.lost(first.conn);
    delivery.toRoom({ type: 'msg', id: 4, from: 'bob', ts: 0, scope: 'group', text: 'IRC bytes' });
    const back = native(2);
    delivery.attach('alice', back.conn, hi('alice'));
    expect(back.wrote, 'only the greeting').to.have.length(1);
  });
});
