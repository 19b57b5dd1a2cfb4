/**
 * Pinned keys per network: a cluster's servers share their pins, pins made per address (older
 * clients, servers without an id) move to the network the first time the address names one, and
 * a server that comes back under a new id cannot shed what was pinned through its address.
 * Real files in a temp folder; keys are literal bytes.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnownKeys, MAX_ADDRESSES } from '../../../client/secure/known-keys.js';

const BOB = new Uint8Array(32).fill(1);
const OTHER = new Uint8Array(32).fill(2);
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const NOW = Date.parse('2026-12-04T10:00:00Z');

describe('client/secure/known-keys', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'known-keys-'));
    file = join(dir, 'known-keys.json');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = () => KnownKeys.open(file, () => NOW);
  const saved = () => JSON.parse(readFileSync(file, 'utf8')) as { keys: Record<string, { key: string; verified: boolean }>; networks: Record<string, string> };

  it('shares the pins of one network among all its addresses', () => {
    const known = open();
    known.at('a:1', 'net1');
    known.pin('Bob', BOB);
    expect(known.markVerified('bob', BOB)).to.equal(true);

    const later = open();
    later.at('b:2', 'net1');
    expect(later.status('bob', BOB)).to.equal('known');
    expect(later.verified('bob', BOB)).to.equal(true);
    later.at('c:3', 'net2');
    expect(later.status('bob', BOB)).to.equal('new');
    expect(saved().networks).to.deep.equal({ 'a:1': 'net1', 'b:2': 'net1', 'c:3': 'net2' });
  });

  it(`remembers the network of ${MAX_ADDRESSES} addresses at most, the oldest seen going first`, () => {
    const known = open();
    for (let i = 0; i < MAX_ADDRESSES; i++) known.at(`h${i}:1`, 'net1');
    known.at('h0:1', 'net2'); // seen again, under another id: now the newest
    known.at('new:1', 'net1');
    const networks = saved().networks;
    expect(Object.keys(networks)).to.have.length(MAX_ADDRESSES);
    expect(networks).to.not.have.property('h1:1');
    expect(networks).to.include({ 'h0:1': 'net2', 'h2:1': 'net1', 'new:1': 'net1' });
  });

  it('moves pins made per address to the network the first time that address names one', () => {
    writeFileSync(file, JSON.stringify({ version: 1, keys: { 'a:1/bob': { key: b64(BOB), verified: true, since: 'then' }, 'z:9/bob': { key: b64(OTHER), verified: false, since: 'then' } } }));
    const known = open();
    known.at('a:1', 'net1');
    expect(known.status('bob', BOB)).to.equal('known');
    expect(known.verified('bob', BOB)).to.equal(true);
    expect(Object.keys(saved().keys)).to.deep.equal(['z:9/bob', '#net1/bob']);
    // A server without an id is still known by its address.
    known.at('z:9', undefined);
    expect(known.status('bob', OTHER)).to.equal('known');
  });

  it('keeps what the network pinned when an address brings an older pin for the same name', () => {
    writeFileSync(file, JSON.stringify({ version: 1, keys: { '#net1/bob': { key: b64(BOB), verified: false, since: 'then' }, 'b:2/bob': { key: b64(OTHER), verified: false, since: 'then' } } }));
    const known = open();
    known.at('b:2', 'net1');
    expect(known.status('bob', BOB)).to.equal('known');
    expect(Object.keys(saved().keys)).to.deep.equal(['#net1/bob']);
  });

  it('carries the pins over when the server at an address comes back under another id: a changed key is still a change', () => {
    const known = open();
    known.at('a:1', 'net1');
    known.pin('bob', BOB);
    known.at('a:1', 'fresh');
    expect(known.status('bob', OTHER)).to.equal('changed');
    expect(known.status('bob', BOB)).to.equal('known');
    expect(saved().networks).to.deep.equal({ 'a:1': 'fresh' });
    expect(Object.keys(saved().keys)).to.deep.equal(['#net1/bob', '#fresh/bob']);
  });

  it('uses no server\'s pins before a login names one: a key looked at then is a bug, never pinned for the wrong server', () => {
    writeFileSync(file, JSON.stringify({ version: 1, keys: { 'a:1/bob': { key: b64(BOB), verified: false, since: 'then' } } }));
    const known = open();
    expect(() => known.status('bob', BOB)).to.throw('known keys used before a login named the server');
    expect(() => known.pin('cem', OTHER)).to.throw('known keys used before a login named the server');
    known.at('a:1', undefined);
    expect(known.status('bob', BOB)).to.equal('known');
    expect(Object.keys(saved().keys)).to.deep.equal(['a:1/bob']);
  });

  it('refuses a file whose networks are not names, as a damaged one', () => {
    writeFileSync(file, JSON.stringify({ version: 1, keys: {}, networks: { 'a:1': 7 } }));
    expect(() => open()).to.throw(`known keys file ${file} is damaged; move it aside to start pinning again (every key will count as new)`);
  });
});
