/**
 * The step format between servers (server/cluster/file-relay.ts), with literal inputs: what one
 * server publishes, another reads back; anything else is null, never a throw.
 */
import { expect } from 'chai';
import { decodePeer, encodePeer } from '../../server/cluster/file-relay.js';

describe('cluster/file-relay: the step format between servers', () => {
  const header = (o: object) => {
    const json = Buffer.from(JSON.stringify(o));
    const n = Buffer.alloc(4);
    n.writeUInt32BE(json.length);
    return Buffer.concat([n, json]);
  };

  it('reads back a chunk with its bytes, and a step without any', () => {
    const data = Buffer.from([0, 1, 2, 255]);
    const chunk = decodePeer(encodePeer('life-1', { k: 'chunk', from: 'alice', id: 'f1', to: 'bob', seq: 3, data, sealed: false }));
    expect(chunk?.origin).to.equal('life-1');
    expect(chunk?.msg).to.deep.include({ k: 'chunk', from: 'alice', id: 'f1', to: 'bob', seq: 3, sealed: false });
    expect((chunk?.msg as { data: Buffer }).data.equals(data)).to.equal(true);
    const ack = decodePeer(encodePeer('life-2', { k: 'ack', from: 'alice', id: 'f1', to: 'bob', seq: 3 }));
    expect(ack).to.deep.equal({ origin: 'life-2', msg: { k: 'ack', from: 'alice', id: 'f1', to: 'bob', seq: 3 } });
  });

  it('is null for what is not a step: too short, a header past the end, no JSON, an unknown kind, a chunk without its numbers', () => {
    const step = { o: 'life-1', k: 'ack', from: 'alice', id: 'f1', to: 'bob', seq: 0 };
    expect(decodePeer(Buffer.from([0, 0]))).to.equal(null);
    const whole = header(step);
    expect(decodePeer(whole.subarray(0, whole.length - 1))).to.equal(null);
    expect(decodePeer(Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{x}')]))).to.equal(null);
    expect(decodePeer(header({ ...step, k: 'launch' }))).to.equal(null);
    expect(decodePeer(header({ ...step, from: 7 }))).to.equal(null);
    expect(decodePeer(header({ ...step, o: undefined }))).to.equal(null);
    expect(decodePeer(header({ ...step, k: 'chunk', sealed: false, seq: 1.5 }))).to.equal(null);
    expect(decodePeer(header({ ...step, k: 'chunk', seq: 1 }))).to.equal(null);
    expect(decodePeer(header(step))).to.not.equal(null);
  });
});
