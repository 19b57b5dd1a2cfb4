/**
 * Consent for private sessions (seed 002) as a truth table, without sockets or clocks: who may ask
 * whom, how answers pick a request, and what ending or leaving undoes.
 */
import { expect } from 'chai';
import { Consent, type Request } from '../../../server/chat/consent.js';

/** A Consent built from steps: "a>b" asks, "b+a" accepts a's request, "b-a" rejects it. */
function build(...steps: string[]): Consent {
  const c = new Consent();
  let now = 0;
  for (const step of steps) {
    const ask = /^(\w+)>(\w+)$/.exec(step);
    const ans = /^(\w+)([+-])(\w+)$/.exec(step);
    if (ask) expect(c.request(ask[1]!, ask[2]!, now++), step).to.equal(null);
    else if (ans) expect(c.answer(ans[1]!, ans[3]!, ans[2] === '+'), step).to.not.have.property('error');
    else throw new Error(`bad step ${step}`);
  }
  return c;
}

const pair = (r: Request) => `${r.from}>${r.to}`;

describe('Consent: who may ask whom', () => {
  const table: [setup: string[], from: string, to: string, expected: object | null][] = [
    [[], 'a', 'b', null],
    [[], 'a', 'a', { error: 'PM_SELF', user: 'a' }],
    [['a>b'], 'a', 'b', { error: 'PM_OUTGOING', user: 'b' }], // the same request twice
    [['a>b'], 'b', 'a', { error: 'PM_PENDING', user: 'a' }], // the other way while pending
    [['a>b'], 'a', 'c', { error: 'PM_OUTGOING', user: 'b' }], // one outgoing at a time
    [['a>b'], 'c', 'b', null], // any number of incoming
    [['a>b'], 'b', 'c', null], // being asked does not stop asking someone else
    [['a>b', 'b+a'], 'a', 'c', { error: 'PM_YOU_BUSY', user: 'b' }],
    [['a>b', 'b+a'], 'b', 'c', { error: 'PM_YOU_BUSY', user: 'a' }],
    [['a>b', 'b+a'], 'c', 'a', { error: 'PM_BUSY', user: 'a' }],
    [['a>b', 'b+a'], 'c', 'b', { error: 'PM_BUSY', user: 'b' }],
    [['a>b', 'b-a'], 'a', 'b', null], // refused: may ask again
    [['a>b', 'b-a'], 'b', 'a', null],
  ];
  for (const [setup, from, to, expected] of table) {
    it(`after [${setup.join(', ')}]: ${from} asks ${to} → ${expected ? JSON.stringify(expected) : 'pending'}`, () => {
      const c = build(...setup);
      expect(c.request(from, to, 100)).to.deep.equal(expected);
      if (expected === null) {
        expect(c.outgoingOf(from)).to.deep.equal({ from, to, at: 100 });
        expect(c.pendingFor(to).map(pair)).to.include(`${from}>${to}`);
      }
    });
  }

  it('refuses a request past the cap of requests waiting for one user, and takes one again when a place frees', () => {
    const c = new Consent(2);
    expect(c.request('a', 'v', 0)).to.equal(null);
    expect(c.request('b', 'v', 1)).to.equal(null);
    expect(c.request('c', 'v', 2)).to.deep.equal({ error: 'PM_TOO_MANY', user: 'v' });
    expect(c.outgoingOf('c')).to.equal(undefined);
    expect(c.request('c', 'w', 3), 'another user still has room').to.equal(null);
    c.answer('v', 'a', false);
    expect(c.request('d', 'v', 4)).to.equal(null);
    expect(c.pendingFor('v').map(pair)).to.deep.equal(['b>v', 'd>v']);
  });

  it('a refused request changes nothing', () => {
    const c = build('a>b');
    c.request('a', 'c', 5);
    expect(c.pendingFor('c')).to.deep.equal([]);
    expect(c.outgoingOf('a')?.to).to.equal('b');
  });
});

describe('Consent: answers', () => {
  it('a bare answer takes the oldest request; later ones stay pending', () => {
    const c = build('c>b', 'a>b', 'd>b');
    expect(c.pendingFor('b').map(pair)).to.deep.equal(['c>b', 'a>b', 'd>b']);
    const r = c.answer('b', undefined, false);
    expect(r).to.deep.include({ request: { from: 'c', to: 'b', at: 0 }, cancelled: [] });
    expect(c.pendingFor('b').map(pair)).to.deep.equal(['a>b', 'd>b']);
  });

  it('an answer by name picks that request, whatever its age', () => {
    const c = build('c>b', 'a>b', 'd>b');
    const r = c.answer('b', 'd', false);
    expect('request' in r && pair(r.request)).to.equal('d>b');
    expect(c.pendingFor('b').map(pair)).to.deep.equal(['c>b', 'a>b']);
    expect(c.outgoingOf('d')).to.equal(undefined);
  });

  it('accepting pairs the two and cancels every other request to or from either', () => {
    // b is asked by c, a and d, and has asked e; f has asked a.
    const c = build('c>b', 'b>e', 'a>b', 'f>a', 'd>b');
    const r = c.answer('b', 'a', true);
    if ('error' in r) throw new Error(r.error);
    expect(pair(r.request)).to.equal('a>b');
    expect(r.cancelled.map(pair).sort()).to.deep.equal(['b>e', 'c>b', 'd>b', 'f>a']);
    expect(c.partner('a')).to.equal('b');
    expect(c.partner('b')).to.equal('a');
    for (const u of ['a', 'b', 'e']) expect(c.pendingFor(u), u).to.deep.equal([]);
    for (const u of ['b', 'c', 'd', 'f']) expect(c.outgoingOf(u), u).to.equal(undefined);
    // The cancelled requesters are free to ask someone else.
    expect(c.request('c', 'e', 9)).to.equal(null);
  });

  it('rejecting frees the requester and starts nothing', () => {
    const c = build('a>b');
    expect(c.answer('b', undefined, false)).to.not.have.property('error');
    expect(c.partner('a')).to.equal(undefined);
    expect(c.outgoingOf('a')).to.equal(undefined);
  });

  it('refuses an answer when nothing is pending, or nothing from that name', () => {
    expect(new Consent().answer('b', undefined, true)).to.deep.equal({ error: 'PM_NO_REQUEST', user: '' });
    expect(build('a>b').answer('b', 'c', true)).to.deep.equal({ error: 'PM_NO_REQUEST', user: 'c' });
    // The requester cannot answer their own request.
    expect(build('a>b').answer('a', 'b', true)).to.deep.equal({ error: 'PM_NO_REQUEST', user: 'b' });
  });
});

describe('Consent: ending, leaving, expiry', () => {
  it('end(user) returns the partner and frees both', () => {
    const c = build('a>b', 'b+a');
    expect(c.end('b')).to.equal('a');
    expect(c.partner('a')).to.equal(undefined);
    expect(c.end('a')).to.equal(undefined);
    expect(c.request('c', 'a', 1)).to.equal(null);
  });

  it('remove(user) ends the session and drops every request to or from them', () => {
    const c = build('a>b', 'b+a', 'x>y');
    expect(c.remove('a')).to.deep.equal({ partner: 'b', dropped: [] });
    expect(c.partner('b')).to.equal(undefined);

    const d = build('a>b', 'c>a', 'e>a', 'x>y');
    const { partner, dropped } = d.remove('a');
    expect(partner).to.equal(undefined);
    expect(dropped.map(pair).sort()).to.deep.equal(['a>b', 'c>a', 'e>a']);
    expect(d.pendingFor('b')).to.deep.equal([]);
    expect(d.outgoingOf('c')).to.equal(undefined);
    expect(d.pendingFor('y').map(pair)).to.deep.equal(['x>y']);
  });

  it('cancels twenty thousand requests to one user when one is accepted, and keeps its indexes in step', () => {
    const c = new Consent();
    for (let i = 0; i < 20_000; i++) expect(c.request(`g${i}`, 'victim', i)).to.equal(null);
    const r = c.answer('victim', 'g12345', true);
    if ('error' in r) throw new Error(r.error);
    expect(r.cancelled).to.have.length(19_999);
    expect(c.size).to.equal(0);
    expect(c.pendingCount('victim')).to.equal(0);
    expect(c.outgoingOf('g0')).to.equal(undefined);
    expect(c.request('g0', 'g1', 30_000), 'the cancelled may ask again').to.equal(null);
    expect(c.expire(30_000).map(pair)).to.deep.equal(['g0>g1']);
  });

  it('expire(cutoff) drops requests made at or before the cutoff, and only those', () => {
    const c = new Consent();
    c.request('a', 'b', 1000);
    c.request('c', 'b', 2000);
    c.request('d', 'e', 3000);
    expect(c.expire(999)).to.deep.equal([]);
    expect(c.expire(2000).map(pair)).to.deep.equal(['a>b', 'c>b']);
    expect(c.pendingFor('b')).to.deep.equal([]);
    expect(c.outgoingOf('a')).to.equal(undefined);
    expect(c.pendingFor('e').map(pair)).to.deep.equal(['d>e']);
    expect(c.request('a', 'b', 4000)).to.equal(null);
  });
});
