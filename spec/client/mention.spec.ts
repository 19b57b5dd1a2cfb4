import { expect } from 'chai';
import { alerts, mentions } from '../../client/mention.js';
import type { ServerMessage } from '../../common/protocol.js';

const msg = (from: string, text: string, scope: 'group' | 'private' = 'group'): ServerMessage => ({ type: 'msg', id: 1, from, ts: 0, scope, text });

describe('client/mention', () => {
  it('finds the name as a word, in any case', () => {
    for (const text of ['alice', 'hi Alice!', '@alice look', 'alice: hi', 'thanks alice.', '(ALICE)', 'alice-']) {
      expect(mentions(text, 'alice'), text).to.equal(true);
    }
    for (const text of ['malice', 'alice_2', 'alice.b', 'alicex', 'x.alice', '']) {
      expect(mentions(text, 'alice'), text).to.equal(false);
    }
    expect(mentions('hey a.b!', 'a.b')).to.equal(true);
    expect(mentions('merhaba MÜCAHIT', 'Mücahit')).to.equal(true);
  });

  it('rings for a mention or a private line from someone else, and for a request', () => {
    expect(alerts(msg('bob', 'hi alice'), 'alice')).to.equal(true);
    expect(alerts(msg('bob', 'hi all'), 'alice')).to.equal(false);
    expect(alerts(msg('bob', 'psst', 'private'), 'alice')).to.equal(true);
    expect(alerts(msg('Alice', 'note to alice', 'private'), 'alice')).to.equal(false);
    expect(alerts({ type: 'notice', event: 'pm_invite', message: 'bob wants…', ts: 0, user: 'bob' }, 'alice')).to.equal(true);
    expect(alerts({ type: 'notice', event: 'join', message: 'bob joined', ts: 0, user: 'bob' }, 'alice')).to.equal(false);
  });
});
