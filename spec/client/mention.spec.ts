import { expect } from 'chai';
import { Mention, alerts } from '../../client/mention.js';
import type { ServerMessage } from '../../common/protocol.js';

const msg = (from: string, text: string, scope: 'group' | 'private' = 'group'): ServerMessage => ({ type: 'msg', id: 1, from, ts: 0, scope, text });

describe('client/mention', () => {
  it('finds the name as a word, in any case, line after line with one pattern', () => {
    const alice = new Mention('alice');
    for (const round of [1, 2]) {
      for (const text of ['alice', 'hi Alice!', '@alice look', 'alice: hi', 'thanks alice.', '(ALICE)', 'alice-']) {
        expect(alice.in(text), `${text} (${round})`).to.equal(true);
      }
      for (const text of ['malice', 'alice_2', 'alice.b', 'alicex', 'x.alice', '']) {
        expect(alice.in(text), `${text} (${round})`).to.equal(false);
      }
    }
    expect(new Mention('a.b').in('hey a.b!')).to.equal(true);
    expect(new Mention('a.b').in('hey axb!')).to.equal(false);
    expect(new Mention('Mücahit').in('merhaba MÜCAHIT')).to.equal(true);
    expect(new Mention('').in('anything')).to.equal(false);
  });

  it('rings for a mention or a private line from someone else, and for a request', () => {
    expect(alerts(msg('bob', 'hi alice'), 'alice', true)).to.equal(true);
    expect(alerts(msg('bob', 'hi all'), 'alice', false)).to.equal(false);
    expect(alerts(msg('bob', 'psst', 'private'), 'alice', false)).to.equal(true);
    expect(alerts(msg('Alice', 'note to alice', 'private'), 'alice', false)).to.equal(false);
    expect(alerts({ type: 'notice', event: 'pm_invite', message: 'bob wants…', ts: 0, user: 'bob' }, 'alice', false)).to.equal(true);
    expect(alerts({ type: 'notice', event: 'join', message: 'bob joined', ts: 0, user: 'bob' }, 'alice', false)).to.equal(false);
  });
});
