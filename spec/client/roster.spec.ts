import { expect } from 'chai';
import { Roster } from '../../client/roster.js';
import type { ServerMessage } from '../../common/protocol.js';

const join = (user: string, event: 'join' | 'leave' | 'offline' = 'join'): ServerMessage => ({ type: 'notice', event, message: '', ts: 0, user });

describe('client/roster', () => {
  it('starts from the login, follows joins, leaves and speakers, and takes a full /who as it is', () => {
    const r = new Roster();
    r.follow({ type: 'login_ok', user: 'alice', created: false, guest: false, online: ['alice', 'bob'], count: 2 });
    r.follow(join('carol'));
    r.follow(join('bob', 'leave'));
    r.follow({ type: 'msg', id: 1, from: 'dave', ts: 0, scope: 'group', text: 'hi' });
    expect(r.list()).to.deep.equal(['alice', 'carol', 'dave']);
    r.follow({ type: 'who', online: ['alice', 'erin'] });
    expect(r.list()).to.deep.equal(['alice', 'erin']);
  });

  it('adds a partial list (a big room) to what it knows, and skips names that would need escaping', () => {
    const r = new Roster();
    r.follow({ type: 'who', online: ['alice'] });
    r.follow({ type: 'who', online: ['bob', 'e\x1b[2Jvil', 'two words'], count: 5000 });
    expect(r.list()).to.deep.equal(['alice', 'bob']);
  });
});
