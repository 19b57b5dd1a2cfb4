/**
 * How much of the online list fits a message: by the bytes of its JSON, literal names in.
 */
import { expect } from 'chai';
import { MAX_HEADER, encodeMessage } from '../../../common/codec.js';
import { namesThatFit, whoReply } from '../../../server/chat/online-list.js';
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

  it('counts the bytes a name brings beside its own listing (an away user: the name again and the message)', () => {
    expect(namesThatFit(['ab', 'c', 'é'], 14, (n) => (n === 'c' ? 4 : 0))).to.equal(2);
    expect(namesThatFit(['ab', 'c', 'é'], 18, (n) => (n === 'c' ? 4 : 0))).to.equal(3);
  });

  it('lists the away users of a who reply with their messages, in the same order', () => {
    const messages: Record<string, string> = { bob: 'gone fishing', dave: 'lunch' };
    expect(whoReply(['alice', 'bob', 'carol', 'dave'], 4, (n) => messages[n] ?? null)).to.deep.equal({
      type: 'who',
      online: ['alice', 'bob', 'carol', 'dave'],
      count: 4,
      away: ['bob', 'dave'],
      awayMessages: ['gone fishing', 'lunch'],
    });
    expect(whoReply(['alice'], 1, () => null)).to.deep.equal({ type: 'who', online: ['alice'], count: 1 });
  });

  it('keeps a who reply of 1,000 names of 128 bytes, all of them away with the longest messages, within a frame', () => {
    const names = Array.from({ length: 1000 }, (_, i) => longName(i));
    // 200 characters of four bytes each: the longest away message there is.
    const message = '\u{1F41F}'.repeat(200);
    const reply = whoReply(names, 1000, () => message);
    expect(reply.online.length).to.be.greaterThan(40).and.lessThan(1000);
    expect(reply.away).to.deep.equal(reply.online);
    expect(encodeMessage(reply).readUInt16BE(0)).to.be.at.most(MAX_HEADER);
    // 1,000 ASCII names of 32 characters still fit whole, as before.
    expect(namesThatFit(Array.from({ length: 1000 }, (_, i) => `user${String(i).padStart(28, '0')}`))).to.equal(1000);
  });
});
