/**
 * How much of the online list fits a message: by the bytes of its JSON, literal names in.
 */
import { expect } from 'chai';
import { MAX_HEADER, encodeMessage } from '../../../common/codec.js';
import { NAMES_BYTES, namesThatFit } from '../../../server/chat/online-list.js';
import { longName } from '../../support/long-names.js';

describe('online list: the names that fit a message', () => {
  it('counts each name as its quoted JSON and a comma', () => {
    // "ab", is 5 bytes; "c", 4; "é", 5.
    expect(namesThatFit(['ab', 'c', 'é'], 14)).to.equal(3);
    expect(namesThatFit(['ab', 'c', 'é'], 13)).to.equal(2);
    expect(namesThatFit(['ab', 'c', 'é'], 4)).to.equal(0);
    expect(namesThatFit([], 0)).to.equal(0);
  });

  it('counts the bytes of UTF-8, not the characters: 32 four-byte characters are 131 bytes', () => {
    expect(Buffer.byteLength(longName(0))).to.equal(128);
    expect(namesThatFit([longName(0), longName(1)], 262)).to.equal(2);
    expect(namesThatFit([longName(0), longName(1)], 261)).to.equal(1);
  });

  it('counts a name listed twice (away as well as online) twice', () => {
    expect(namesThatFit(['ab', 'c', 'é'], 14, (n) => n === 'c')).to.equal(2);
    expect(namesThatFit(['ab', 'c', 'é'], 18, (n) => n === 'c')).to.equal(3);
  });

  it('keeps a who reply of 1,000 names of 128 bytes, all of them away, within a frame', () => {
    const names = Array.from({ length: 1000 }, (_, i) => longName(i));
    const n = namesThatFit(names, NAMES_BYTES, () => true);
    expect(n).to.be.greaterThan(150).and.lessThan(1000);
    const online = names.slice(0, n);
    const frame = encodeMessage({ type: 'who', online, away: online, count: 1000 } as never);
    expect(frame.readUInt16BE(0)).to.be.at.most(MAX_HEADER);
    // 1,000 ASCII names of 32 characters still fit whole, as before.
    expect(namesThatFit(Array.from({ length: 1000 }, (_, i) => `user${String(i).padStart(28, '0')}`))).to.equal(1000);
  });
});
