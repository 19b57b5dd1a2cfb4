import { expect } from 'chai';
import { MAX_HEARTBEAT, encodeHeartbeat, macValid, parseHeartbeat } from '../../common/heartbeat.js';

// Session "abc", seq 42, secret = 32 bytes of 0x07. The MAC was computed independently with
// `openssl dgst -sha256 -mac HMAC -macopt hexkey:0707...07` over the first 15 bytes (4 + 3 + 8).
const SECRET = Buffer.alloc(32, 7);
const SIGNED_HEX = '4842' + '01' + '03' + '616263' + '000000000000002a';
const MAC_HEX = '35a234e4451f92f47b0b84e362d6e9e0898e9fb6cfa7be35e6ae1c6f55533f7b';
const DATAGRAM = Buffer.from(SIGNED_HEX + MAC_HEX, 'hex');

function parsed(data: Buffer) {
  const p = parseHeartbeat(data);
  if ('problem' in p) throw new Error(`unexpected problem ${p.problem}`);
  return p;
}

describe('heartbeat datagram', () => {
  it('encodes the documented layout, byte for byte', () => {
    expect(encodeHeartbeat('abc', 42n, SECRET).toString('hex')).to.equal(DATAGRAM.toString('hex'));
  });

  it('round-trips id and sequence, including the largest 64-bit sequence', () => {
    const p = parsed(DATAGRAM);
    expect(p.session).to.equal('abc');
    expect(p.seq).to.equal(42n);
    expect(macValid(p.signed, p.mac, SECRET)).to.equal(true);
    const max = parsed(encodeHeartbeat('Zx_-9', 0xffff_ffff_ffff_ffffn, SECRET));
    expect(max).to.include({ session: 'Zx_-9', seq: 0xffff_ffff_ffff_ffffn });
  });

  it('refuses to encode ids it could not carry and sequences outside 64 bits', () => {
    expect(() => encodeHeartbeat('', 1n, SECRET)).to.throw(RangeError);
    expect(() => encodeHeartbeat('x'.repeat(256), 1n, SECRET)).to.throw(RangeError);
    expect(() => encodeHeartbeat('sé', 1n, SECRET)).to.throw(RangeError);
    expect(() => encodeHeartbeat('abc', -1n, SECRET)).to.throw(RangeError);
    expect(() => encodeHeartbeat('abc', 1n << 64n, SECRET)).to.throw(RangeError);
  });

  it('calls wrong magic, wrong version and wrong lengths malformed', () => {
    const with_ = (offset: number, byte: number) => {
      const d = Buffer.from(DATAGRAM);
      d[offset] = byte;
      return d;
    };
    expect(parseHeartbeat(with_(0, 0x58))).to.deep.equal({ problem: 'malformed' }); // "XB"
    expect(parseHeartbeat(with_(1, 0x43))).to.deep.equal({ problem: 'malformed' }); // "HC"
    expect(parseHeartbeat(with_(2, 2))).to.deep.equal({ problem: 'malformed' }); // version 2
    expect(parseHeartbeat(with_(3, 4))).to.deep.equal({ problem: 'malformed' }); // L says 4, 3 present
    expect(parseHeartbeat(with_(3, 2))).to.deep.equal({ problem: 'malformed' }); // L says 2
    expect(parseHeartbeat(with_(3, 0))).to.deep.equal({ problem: 'malformed' }); // empty id
    expect(parseHeartbeat(with_(4, 0x00))).to.deep.equal({ problem: 'malformed' }); // id not printable
    expect(parseHeartbeat(DATAGRAM.subarray(0, DATAGRAM.length - 1))).to.deep.equal({ problem: 'malformed' });
    expect(parseHeartbeat(Buffer.concat([DATAGRAM, Buffer.from([0])]))).to.deep.equal({ problem: 'malformed' });
    expect(parseHeartbeat(Buffer.alloc(0))).to.deep.equal({ problem: 'malformed' });
    expect(parseHeartbeat(Buffer.from('HB'))).to.deep.equal({ problem: 'malformed' });
  });

  it('calls anything over the largest possible heartbeat oversize', () => {
    expect(MAX_HEARTBEAT).to.equal(299);
    const longest = encodeHeartbeat('i'.repeat(255), 1n, SECRET);
    expect(longest.length).to.equal(299);
    expect(parsed(longest).session).to.equal('i'.repeat(255));
    expect(parseHeartbeat(Buffer.alloc(300))).to.deep.equal({ problem: 'oversize' });
    expect(parseHeartbeat(Buffer.alloc(65_000, 0x48))).to.deep.equal({ problem: 'oversize' });
  });

  it('accepts the MAC only with the right secret and untouched bytes', () => {
    const p = parsed(DATAGRAM);
    expect(macValid(p.signed, p.mac, Buffer.alloc(32, 8))).to.equal(false);
    const forgedSeq = Buffer.from(DATAGRAM);
    forgedSeq[14] = 0x2b; // seq 43 with the MAC of seq 42
    const q = parsed(forgedSeq);
    expect(macValid(q.signed, q.mac, SECRET)).to.equal(false);
    const flippedMac = Buffer.from(DATAGRAM);
    flippedMac[flippedMac.length - 1]! ^= 1;
    const r = parsed(flippedMac);
    expect(macValid(r.signed, r.mac, SECRET)).to.equal(false);
    expect(macValid(p.signed, p.mac.subarray(0, 16), SECRET)).to.equal(false); // short MAC, no throw
  });
});
