/**
 * Memory stays flat: repeating hostile cycles (connect, garbage, disconnect; a flood to a client
 * that never reads) must not grow the server's heap or its bookkeeping.
 */
import { expect } from 'chai';
import { Duplex } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { FrameDecoder, encodeMessage } from '../../common/codec.js';
import type { ClientMessage } from '../../common/protocol.js';
import { startServer, type Running } from '../support/harness.js';
import { connectRaw, logged } from './support.js';
import { waitUntil } from '../support/wait.js';

/** A full garbage collection; exposes V8's gc() if mocha's node was started without --expose-gc. */
function collector(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  // Let closes and timers run out, then collect twice (weak references and finalizers).
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * An in-memory client on server.handle(): it counts what it receives instead of keeping it, so
 * the test itself holds nothing that grows. `deaf`: it never reads (every write stays queued).
 */
class MemoryPeer {
  readonly stream: Duplex;
  readonly counts = new Map<string, number>();
  private readonly decoder = new FrameDecoder(1 << 20);
  private waiting: (() => void) | null = null;

  constructor(deaf = false) {
    this.stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _encoding, done) => {
        if (deaf) return; // never calling done: later writes queue up, as with a full socket
        for (const { frame } of this.decoder.push(chunk)) {
          const type = String(frame?.header.type);
          this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
          if (type === 'who' || type === 'login_ok') this.waiting?.();
        }
        done();
      },
    });
  }

  count(type: string): number {
    return this.counts.get(type) ?? 0;
  }

  send(msg: ClientMessage): void {
    this.stream.push(encodeMessage(msg));
  }

  /** Sends and waits for the answer that ends a login or a who round trip. */
  request(msg: ClientMessage): Promise<void> {
    const answered = new Promise<void>((resolve) => (this.waiting = resolve));
    this.send(msg);
    return answered;
  }
}

describe('hostile: memory stays flat', function () {
  this.timeout(60_000);
  let srv: Running;
  afterEach(async () => srv.stop());

  it('under connect/garbage/disconnect and flood-to-a-non-reader cycles', async () => {
    const gc = collector();
    // History off: it keeps the flood's lines on purpose (bounded: see history-file.spec); this
    // looks for memory that nothing should keep.
    srv = await startServer({ maxOutput: 64 * 1024, maxBody: 8 * 1024, rateCount: 1_000_000, heartbeatTimeout: 3600, historyDays: 0 });
    let port = 0;
    const join = async (user: string, deaf = false) => {
      const peer = new MemoryPeer(deaf);
      srv.server.handle(peer.stream, '10.0.0.9', ++port);
      if (deaf) peer.send({ type: 'login', user, password: 'pw' } as ClientMessage);
      else await peer.request({ type: 'login', user, password: 'pw' } as ClientMessage);
      return peer;
    };
    const talker = await join('talker');
    const reader = await join('reader');
    const text = 'y'.repeat(8 * 1024);
    let sent = 0;
    let drops = 0;
    /** Counts the slow-reader drops logged so far and forgets the log lines (they hold message text). */
    const dropsLogged = () => {
      drops += logged(srv.logs, 'slow reader').length;
      srv.logs.length = 0;
      return drops;
    };

    const garbage = async (i: number) => {
      const r = await connectRaw(srv.port);
      const junk = Buffer.from(`[${i},"not a header"]`);
      r.socket.write(Buffer.from([0, junk.length, ...junk]));
      await r.closed;
      dropsLogged();
    };
    const flood = async () => {
      await join('sink', true);
      await waitUntil(() => srv.server.room.find('sink')?.state === 'attached', 'sink to log in');
      const before = dropsLogged();
      while (dropsLogged() === before) {
        talker.send({ type: 'say', text } as ClientMessage);
        sent++;
        await talker.request({ type: 'who' });
      }
    };
    const cycles = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await garbage(i);
        if (i % 4 === 0) await flood();
      }
      await waitUntil(() => srv.server.connections === 2, 'only talker and reader to remain');
      await reader.request({ type: 'who' });
    };

    // Warm-up: until the JIT has compiled the hot paths the heap grows by its code (measured:
    // about 100 bytes a cycle over the first few hundred), which is not what we look for.
    await cycles(200);
    const base = await settledHeap(gc);
    await cycles(600);
    const after = await settledHeap(gc);
    const grown = after - base;

    expect(srv.server.connections).to.equal(2);
    expect(srv.server.room.count, 'talker, reader and the detached sink').to.equal(3);
    expect(drops, 'one drop per flood').to.equal(200);
    expect(reader.count('msg')).to.equal(sent);
    // Measured: a flat server ends within +-400 KiB of the baseline; keeping each Connection
    // object alive (a 2.4 KiB leak per cycle) grows the heap by 1.5 MiB over these 600 cycles.
    expect(grown, `heap grew by ${(grown / 1024).toFixed(0)} KiB`).to.be.below(1024 * 1024);
  });
});
