import { expect } from 'chai';
import { promptText, type Prompt } from '../../client/prompt.js';
import { textWidth } from '../../client/text-width.js';

const verified = { text: 'encrypted, verified', brief: 'verified' };
const inPrivate: Prompt = { me: 'alice', partner: 'carol', label: verified };

describe('client/prompt', () => {
  it('says everything where there is room', () => {
    expect(promptText({ me: 'alice' })).to.equal('alice> ');
    expect(promptText(inPrivate)).to.equal('alice (private: carol, encrypted, verified)> ');
    expect(promptText(inPrivate, 80)).to.equal('alice (private: carol, encrypted, verified)> ');
    expect(promptText({ me: 'alice', partner: 'carol' }, 40)).to.equal('alice (private: carol)> ');
  });

  it('on 40 columns gives up the own name, then "private" and the long label, and leaves 16 columns to type', () => {
    expect(promptText({ ...inPrivate, label: { text: 'encrypted', brief: 'encrypted' } }, 50)).to.equal('(private: carol, encrypted)> ');
    expect(promptText(inPrivate, 40)).to.equal('(carol, verified)> ');
    expect(promptText({ ...inPrivate, label: { text: 'KEY CHANGED: /trust carol', brief: 'KEY CHANGED' } }, 40)).to.equal('(carol, KEY CHANGED)> ');
    expect(promptText({ ...inPrivate, label: { text: 'NOT encrypted', brief: 'NOT encrypted' } }, 40)).to.equal('(carol, NOT encrypted)> ');
  });

  it("cuts a long partner's name (or the own name) with an ellipsis, by columns", () => {
    const long = { me: 'alice', partner: 'a_very_long_partner_name_of_32ch', label: verified };
    expect(promptText(long, 40)).to.equal('(a_very_lo…, verified)> ');
    expect(textWidth(promptText(long, 40))).to.equal(24);
    expect(promptText({ me: 'alice', partner: '漢字漢字漢字漢字漢字' }, 30)).to.equal('(漢字漢字漢…)> ');
    expect(promptText({ me: 'a_very_long_name_of_thirty_two_c' }, 40)).to.equal('a_very_long_name_of_t…> ');
  });

  it('keeps the warning and five letters of the name on a terminal too narrow for it (a short name whole)', () => {
    const plain = { text: 'NOT encrypted', brief: 'NOT encrypted' };
    expect(promptText({ me: 'alice', partner: 'carolina_the_great', label: plain }, 20)).to.equal('(carol…, NOT encrypted)> ');
    expect(promptText({ me: 'alice', partner: 'bob', label: verified }, 30)).to.equal('(bob, verified)> ');
  });
});
