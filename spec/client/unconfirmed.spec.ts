import { expect } from 'chai';
import { Unconfirmed } from '../../client/unconfirmed.js';

describe('client/unconfirmed', () => {
  it('lets an echo confirm the oldest line, and a refusal name it', () => {
    const u = new Unconfirmed();
    u.sent('say', 'one');
    u.sent('say', 'two');
    u.echoed();
    expect(u.refused('MUTED')).to.equal('two');
    expect(u.refused('MUTED')).to.equal(null);
  });

  it('lets a refusal only a private message can get name only a private message', () => {
    const u = new Unconfirmed();
    u.sent('say', 'hello');
    expect(u.refused('NO_SUCH_USER')).to.equal(null); // about something else (a @PM to nobody)
    expect(u.refused('PM_BUSY')).to.equal(null);
    u.echoed();
    u.sent('dm', 'psst');
    expect(u.refused('NO_SUCH_USER')).to.equal('psst');
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
