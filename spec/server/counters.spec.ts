/**
 * The counters (server/counters.ts): what a login's answer counts as, and the arrival-to-last-write
 * timing, taken only while someone listens, observed once per line after the turn's writes.
 */
import { expect } from 'chai';
import { Counters, loginResult } from '../../server/counters.js';

describe('counters', () => {
  it('reads a login result from the answer', () => {
    const ok = { type: 'login_ok', user: 'a', created: false, guest: false } as const;
    expect(loginResult(ok)).to.equal('ok');
    expect(loginResult({ ...ok, created: true })).to.equal('created');
    expect(loginResult({ ...ok, resumed: true })).to.equal('resumed');
    const error = (code: string) => ({ type: 'error', code, message: '' }) as const;
    expect(loginResult(error('BAD_PASSWORD'))).to.equal('wrong_password');
    expect(loginResult(error('LOGIN_THROTTLED'))).to.equal('throttled');
    expect(loginResult(error('REGISTRATIONS_THROTTLED'))).to.equal('throttled');
    expect(loginResult(error('SERVER_BUSY'))).to.equal('busy');
    expect(loginResult(error('BAD_NAME'))).to.equal('refused');
    expect(loginResult(error('NAME_IN_USE'))).to.equal('refused');
    expect(loginResult(error('MUTED'))).to.equal(null);
    expect(loginResult({ type: 'who', online: [] })).to.equal(null);
  });

  it('takes no time while nobody times lines, and counts lines by kind', () => {
    const c = new Counters();
    expect(c.arrival()).to.equal(0);
    c.line('group', c.arrival());
    c.line('dm', 0);
    expect(c.messages).to.equal(2);
    expect(c.lines).to.deep.equal({ group: 1, dm: 1, private: 0, replay: 0 });
  });

  it('observes each line of a turn once, after what the turn queued before it', async () => {
    const c = new Counters();
    const seen: number[] = [];
    c.timing = (s) => seen.push(s);
    const order: string[] = [];
    // The net layer's end-of-turn write, scheduled when the line's first write was queued.
    setImmediate(() => order.push('writes'));
    const t = c.arrival();
    expect(t).to.be.above(0);
    c.line('group', t);
    c.line('private', c.arrival());
    setImmediate(() => order.push(`after: ${seen.length} observed`));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(order).to.deep.equal(['writes', 'after: 2 observed']);
    expect(seen).to.have.length(2);
    for (const s of seen) expect(s).to.be.within(0, 1);
  });
});
