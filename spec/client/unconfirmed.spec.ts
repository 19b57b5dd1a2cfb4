import { expect } from 'chai';
import { Unconfirmed } from '../../client/unconfirmed.js';

const GROUP = { scope: 'group' } as const;

describe('client/unconfirmed', () => {
  it('lets an echo confirm the oldest line, and a refusal name it', () => {
    const u = new Unconfirmed();
    u.sent('say', 'one');
    u.sent('say', 'two');
    u.echoed(GROUP);
    expect(u.refused('MUTED')).to.equal('two');
    expect(u.refused('MUTED')).to.equal(null);
  });

  it('lets a refusal only a private message can get name only a private message', () => {
    const u = new Unconfirmed();
    u.sent('say', 'hello');
    expect(u.refused('NO_SUCH_USER')).to.equal(null); // about something else (a @PM to nobody)
    expect(u.refused('PM_BUSY')).to.equal(null);
    u.echoed(GROUP);
    u.sent('dm', 'psst');
    expect(u.refused('NO_SUCH_USER')).to.equal('psst');
  });

  it('takes "kept for the offline account" as a private message\'s answer, so a later refusal names the right line', () => {
    const u = new Unconfirmed();
    u.sent('dm', 'offline note', true);
    u.sent('say', 'c1');
    expect(u.kept(), 'the line kept, to be shown').to.deep.equal({ kind: 'dm', text: 'offline note', action: true });
    u.echoed(GROUP); // c1
    u.sent('say', 'c2');
    expect(u.refused('MUTED')).to.equal('c2');
    u.sent('say', 'c3');
    expect(u.kept()).to.equal(null); // not about a say: nothing to take
    expect(u.refused('MUTED')).to.equal('c3');
  });

  it('names the line for every refusal a chat line can get', () => {
    const u = new Unconfirmed();
    for (const [kind, code] of [['dm', 'MAILBOX_FULL'], ['dm', 'MAILBOX_FAILED'], ['say', 'CLUSTER_DOWN'], ['dm', 'SERVER_BUSY'], ['say', 'E2E_NOT_IN']] as const) {
      u.sent(kind, `${kind} ${code}`);
      expect(u.refused(code)).to.equal(`${kind} ${code}`);
    }
    u.sent('say', 'group line');
    expect(u.refused('MAILBOX_FULL')).to.equal(null);
    expect(u.refused('MAILBOX_FAILED')).to.equal(null);
  });

  it('matches what names a user to the private message to them: a line kept after the echo of the next, and a refusal about someone else', () => {
    const u = new Unconfirmed();
    u.sent('dm', 'for dave', false, 'Dave');
    u.sent('say', 'hello all');
    u.sent('dm', 'for nobody', false, 'nobody');
    u.echoed(GROUP); // "hello all": stored for dave takes a moment, the echo does not
    expect(u.refused('NO_SUCH_USER', 'NOBODY')).to.equal('for nobody');
    expect(u.refused('NO_SUCH_USER', 'carol'), 'about a request to carol: no line').to.equal(null);
    expect(u.kept('dave')).to.deep.include({ text: 'for dave' });
    u.sent('dm', 'psst', false, 'bob');
    u.sent('say', 'in our private chat');
    u.echoed({ scope: 'private', to: 'bob' });
    u.echoed({ scope: 'private', to: 'bob' });
    expect(u.refused('MUTED'), 'both echoed').to.equal(null);
  });

  it('forgets everything when the connection is lost, and keeps at most 100 lines', () => {
    const u = new Unconfirmed();
    u.sent('say', 'gone');
    u.clear();
    expect(u.refused('MUTED')).to.equal(null);
    for (let i = 0; i < 150; i++) u.sent('say', `l${i}`);
    expect(u.refused('MUTED')).to.equal('l50');
  });
});
