/**
 * The cryptographic pieces of encrypted private sessions, against the RFCs' own test vectors
 * (X25519: RFC 7748 sections 5.2 and 6.1; HKDF-SHA256: RFC 5869 appendix A cases 1 and 3), and
 * the records sealed with them: a line opens once, in order, untouched, or is refused.
 */
import { expect } from 'chai';
import { createPublicKey } from 'node:crypto';
import { SEAL_OVERHEAD } from '../../../common/protocol.js';
import { hkdf, newEphemeral, rawPublic, signEd25519, verifyEd25519, x25519, x25519PrivateFromRaw } from '../../../client/secure/crypto.js';
import { Opener, Sealer } from '../../../client/secure/record.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('client/secure/crypto: X25519 (RFC 7748)', () => {
  it('gives section 6.1\'s public keys and shared secret for Alice and Bob', () => {
    const a = x25519PrivateFromRaw(hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    const b = x25519PrivateFromRaw(hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb'));
    const aPublic = rawPublic(createPublicKey(a));
    const bPublic = rawPublic(createPublicKey(b));
    expect(aPublic.toString('hex')).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(bPublic.toString('hex')).to.equal('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(x25519(a, bPublic).toString('hex')).to.equal(k);
    expect(x25519(b, aPublic).toString('hex')).to.equal(k);
  });

  it('gives section 5.2\'s outputs for its two scalars and u-coordinates', () => {
    const vectors = [
      ['a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c', 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'],
      ['4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493', '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957'],
    ];
    for (const [scalar, u, out] of vectors) expect(x25519(x25519PrivateFromRaw(hex(scalar!)), hex(u!)).toString('hex')).to.equal(out);
  });

  it('refuses a peer key of small order (the all-zero shared secret)', () => {
    expect(() => x25519(newEphemeral().privateKey, Buffer.alloc(32))).to.throw(/small order/);
    expect(() => x25519(newEphemeral().privateKey, Buffer.alloc(31))).to.throw(/32 bytes/);
  });
});

describe('client/secure/crypto: HKDF-SHA256 (RFC 5869)', () => {
  it('gives test case 1 (salt and info)', () => {
    const okm = hkdf(Buffer.alloc(22, 0x0b), hex('000102030405060708090a0b0c'), hex('f0f1f2f3f4f5f6f7f8f9'), 42);
    expect(okm.toString('hex')).to.equal('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('gives test case 3 (no salt, no info: how a transfer\'s key is made from a direction key)', () => {
    const okm = hkdf(Buffer.alloc(22, 0x0b), Buffer.alloc(0), Buffer.alloc(0), 42);
    expect(okm.toString('hex')).to.equal('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });
});

describe('client/secure/crypto: Ed25519', () => {
  it('verifies a signature by the key it names, and nothing altered', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('ed25519');
    const pub = rawPublic(privateKey);
    const sig = signEd25519(privateKey, Buffer.from('offer'));
    expect(verifyEd25519(pub, Buffer.from('offer'), sig)).to.equal(true);
    expect(verifyEd25519(pub, Buffer.from('offeR'), sig)).to.equal(false);
    const other = rawPublic(generateKeyPairSync('ed25519').privateKey);
    expect(verifyEd25519(other, Buffer.from('offer'), sig)).to.equal(false);
    expect(verifyEd25519(pub, Buffer.from('offer'), sig.subarray(1))).to.equal(false);
  });
});

describe('client/secure/record: sealed records', () => {
  const key = Buffer.alloc(32, 7);
  const text = (s: string) => Buffer.from(s);

  it('seals with counter nonces from 0, adds exactly SEAL_OVERHEAD bytes, and opens in order', () => {
    const s = new Sealer(key);
    const records = ['one', 'two', 'three'].map((t) => s.seal(text(t)));
    expect(records.map((r) => r.readBigUInt64BE(1))).to.deep.equal([0n, 1n, 2n]);
    expect(records[0]!.length).to.equal(3 + SEAL_OVERHEAD);
    const o = new Opener(key);
    expect(records.map((r) => { const x = o.open(r); return x.ok ? x.plaintext.toString() : x.why; })).to.deep.equal(['one', 'two', 'three']);
  });

  it('never seals two records alike: the same text twice gives two ciphertexts', () => {
    const s = new Sealer(key);
    const [a, b] = [s.seal(text('same')), s.seal(text('same'))];
    expect(a.subarray(9).equals(b.subarray(9))).to.equal(false);
  });

  it('refuses a record replayed, and the older of two swapped ones', () => {
    const s = new Sealer(key);
    const [r0, r1, r2] = [s.seal(text('a')), s.seal(text('b')), s.seal(text('c'))];
    const o = new Opener(key);
    expect(o.open(r0).ok).to.equal(true);
    expect(o.open(r0)).to.deep.include({ ok: false, why: 'replayed', counter: 0n, expected: 1n });
    // Swapped: the later one opens (one skipped, reported), the earlier one is then refused.
    const late = o.open(r2);
    expect(late).to.deep.include({ ok: true, skipped: 1n });
    expect(o.open(r1)).to.deep.include({ ok: false, why: 'replayed', counter: 1n, expected: 3n });
  });

  it('refuses a record with any bit changed, in the header, the body or the tag, and one under another key', () => {
    const r = new Sealer(key).seal(text('hello'));
    for (const at of [1, 8, 10, r.length - 1]) {
      const bad = Buffer.from(r);
      bad[at]! ^= 1;
      expect(new Opener(key).open(bad), `byte ${at}`).to.deep.equal({ ok: false, why: 'tampered' });
    }
    expect(new Opener(Buffer.alloc(32, 8)).open(r)).to.deep.equal({ ok: false, why: 'tampered' });
    expect(new Opener(key).open(r.subarray(0, 20))).to.deep.equal({ ok: false, why: 'malformed' });
  });

  it('leaves the opener where it was after a refusal: the genuine record still opens', () => {
    const r = new Sealer(key).seal(text('hello'));
    const o = new Opener(key);
    const bad = Buffer.from(r);
    bad[12]! ^= 0x80;
    expect(o.open(bad).ok).to.equal(false);
    expect(o.open(r)).to.deep.include({ ok: true, skipped: 0n });
  });
});
