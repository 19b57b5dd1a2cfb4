import { expect } from 'chai';
import { macValid, parseHeartbeat } from '../../common/heartbeat.js';
import { HeartbeatSender, heartbeatPace, type DatagramOut, type Family } from '../../client/heartbeat.js';
import { FakeClock } from '../support/fake-clock.js';

interface Sent {
  data: Buffer;
  port: number;
  host: string;
}

function recorder(): { out: DatagramOut; sent: Sent[]; closed: () => boolean } {
  const sent: Sent[] = [];
  let closed = false;
  return {
    sent,
    closed: () => closed,
    out: {
      send: (data, port, host) => void sent.push({ data, port, host }),
      close: () => void (closed = true),
    },
  };
}

const secretA = Buffer.alloc(32, 1);
const secretB = Buffer.alloc(32, 2);
const seqs = (sent: Sent[]) => sent.map((s) => (parseHeartbeat(s.data) as { seq: bigint }).seq);

describe('client/heartbeat', () => {
  it('beats at once and then every interval, signed with the session secret', () => {
    const clock = new FakeClock();
    const rec = recorder();
    const hb = new HeartbeatSender(clock, () => rec.out);
    hb.start({ host: '127.0.0.1', port: 4000, session: 'sess-a', secret: secretA }, 5000);
    expect(rec.sent).to.have.length(1);
    clock.advance(4999);
    expect(rec.sent).to.have.length(1);
    clock.advance(1);
    clock.advance(10_000);
    expect(rec.sent).to.have.length(4);
    for (const s of rec.sent) {
      expect(s).to.include({ port: 4000, host: '127.0.0.1' });
      const p = parseHeartbeat(s.data);
      if ('problem' in p) throw new Error(p.problem);
      expect(p.session).to.equal('sess-a');
      expect(macValid(p.signed, p.mac, secretA)).to.equal(true);
    }
    expect(seqs(rec.sent)).to.deep.equal([1n, 2n, 3n, 4n]);
  });

  it('knows when its own timer did not run (the process stopped, the computer asleep): stalled lately, not while beating', () => {
    const clock = new FakeClock();
    const rec = recorder();
    const hb = new HeartbeatSender(clock, () => rec.out);
    hb.start({ host: '127.0.0.1', port: 4000, session: 's', secret: secretA }, 5000);
    clock.advance(30_000);
    expect(hb.stalled(10_000), 'beating every 5 s').to.equal(false);
    clock.freeze(25_000); // Ctrl-Z: no timer runs
    expect(hb.stalled(10_000), 'no beat for 25 s, asked before the late timer runs').to.equal(true);
    clock.advance(1); // fg: the late beat goes out at once
    expect(rec.sent).to.have.length(8);
    expect(hb.stalled(10_000), 'just after the late beat: the pause is recent').to.equal(true);
    expect(hb.stalled(30_000), 'the pause was shorter than that').to.equal(false);
    clock.advance(10_001);
    expect(hb.stalled(10_000), 'long enough ago').to.equal(false);
    // Beating every 10 s (half a 20 s timeout): a beat just due is no pause.
    const slow = new HeartbeatSender(clock, () => recorder().out);
    slow.start({ host: '127.0.0.1', port: 4000, session: 's', secret: secretA }, 10_000);
    clock.freeze(10_000);
    expect(slow.stalled(10_000)).to.equal(false);
    clock.freeze(5_000);
    expect(slow.stalled(10_000), '15 s without a beat').to.equal(true);
  });

  it('keeps counting up when it switches to a new session (never repeats a sequence number)', () => {
    const clock = new FakeClock();
    const rec = recorder();
    const hb = new HeartbeatSender(clock, () => rec.out);
    hb.start({ host: '127.0.0.1', port: 4000, session: 'old', secret: secretA }, 1000);
    clock.advance(2000);
    hb.start({ host: '127.0.0.1', port: 4001, session: 'new', secret: secretB }, 1000);
    clock.advance(1000);
    expect(seqs(rec.sent)).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
    const last = parseHeartbeat(rec.sent[4]!.data);
    if ('problem' in last) throw new Error(last.problem);
    expect(last.session).to.equal('new');
    expect(macValid(last.signed, last.mac, secretB)).to.equal(true);
  });

  it('stops on stop(), closes its socket, and counts on if started again', () => {
    const clock = new FakeClock();
    const rec = recorder();
    const hb = new HeartbeatSender(clock, () => rec.out);
    hb.start({ host: '127.0.0.1', port: 4000, session: 's', secret: secretA }, 1000);
    hb.stop();
    hb.stop();
    clock.advance(10_000);
    expect(rec.sent).to.have.length(1);
    expect(rec.closed()).to.equal(true);
    expect(hb.running).to.equal(false);
    hb.start({ host: '127.0.0.1', port: 4000, session: 's', secret: secretA }, 1000);
    expect(seqs(rec.sent)).to.deep.equal([1n, 2n]);
  });

  it('beats at the pace start() is given, and changes pace without repeating a sequence number', () => {
    const clock = new FakeClock();
    const rec = recorder();
    const hb = new HeartbeatSender(clock, () => rec.out);
    hb.start({ host: '127.0.0.1', port: 4000, session: 's', secret: secretA }, 5000);
    clock.advance(10_000);
    expect(rec.sent).to.have.length(3);
    hb.start({ host: '127.0.0.1', port: 4000, session: 's2', secret: secretA }, 1000);
    clock.advance(2000);
    expect(seqs(rec.sent)).to.deep.equal([1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it('keeps the interval asked for while two beats fit in the server\'s timeout, else beats at a quarter of it', () => {
    expect(heartbeatPace(5, 20)).to.deep.equal({ seconds: 5, tooSlow: false });
    expect(heartbeatPace(10, 20)).to.deep.equal({ seconds: 10, tooSlow: false });
    expect(heartbeatPace(30, 20)).to.deep.equal({ seconds: 5, tooSlow: true });
    expect(heartbeatPace(11, 20)).to.deep.equal({ seconds: 5, tooSlow: true });
    expect(heartbeatPace(5, 1)).to.deep.equal({ seconds: 0.25, tooSlow: true });
    expect(heartbeatPace(600, undefined)).to.deep.equal({ seconds: 600, tooSlow: false }); // a server that does not say
  });

  it('opens a UDP socket of the address family of the target, and a new one when that changes', () => {
    const clock = new FakeClock();
    const opened: { family: Family; rec: ReturnType<typeof recorder> }[] = [];
    const hb = new HeartbeatSender(clock, (family) => {
      const rec = recorder();
      opened.push({ family, rec });
      return rec.out;
    });
    hb.start({ host: '127.0.0.1', port: 4000, session: 's', secret: secretA }, 1000);
    hb.start({ host: '127.0.0.1', port: 4000, session: 's2', secret: secretA }, 1000);
    expect(opened.map((o) => o.family)).to.deep.equal(['udp4']);
    hb.start({ host: '::1', port: 4000, session: 's3', secret: secretA }, 1000);
    expect(opened.map((o) => o.family)).to.deep.equal(['udp4', 'udp6']);
    expect(opened[0]!.rec.closed()).to.equal(true);
    expect(opened[1]!.rec.sent.map((s) => s.host)).to.deep.equal(['::1']);
    expect(seqs(opened[1]!.rec.sent)).to.deep.equal([3n]);
  });
});
