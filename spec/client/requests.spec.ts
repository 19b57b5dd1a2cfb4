import { expect } from 'chai';
import { PendingRequests } from '../../client/requests.js';
import type { NoticeEvent, ServerMessage } from '../../common/protocol.js';

const notice = (event: NoticeEvent, user?: string): ServerMessage<'notice'> => ({ type: 'notice', event, message: '', ts: 0, ...(user ? { user } : {}) });

describe('client/requests', () => {
  it('adds the sender of an invitation, and removes it on a refusal, an expiry or a cancel', () => {
    const p = new PendingRequests();
    p.notice(notice('pm_invite', 'bob'));
    p.notice(notice('pm_invite', 'carol'));
    p.notice(notice('pm_invite', 'dave'));
    expect(p.list()).to.deep.equal(['bob', 'carol', 'dave']);
    p.notice(notice('pm_refused', 'BOB'));
    p.notice(notice('pm_expired', 'carol'));
    expect(p.list()).to.deep.equal(['dave']);
    p.notice(notice('pm_cancelled', 'dave'));
    expect(p.waiting).to.equal(false);
  });

  it('forgets every request once a private chat starts (the server voids them)', () => {
    const p = new PendingRequests();
    p.notice(notice('pm_invite', 'bob'));
    p.notice(notice('pm_invite', 'carol'));
    p.notice(notice('pm_started', 'bob'));
    expect(p.waiting).to.equal(false);
  });

  it('ignores other notices, and a request from the same person twice counts once, as the newest', () => {
    const p = new PendingRequests();
    p.notice(notice('pm_invite', 'bob'));
    p.notice(notice('pm_invite', 'carol'));
    p.notice(notice('pm_invite', 'Bob'));
    p.notice(notice('join', 'carol'));
    p.notice(notice('pm_sent', 'carol'));
    expect(p.list()).to.deep.equal(['carol', 'Bob']);
  });
});
