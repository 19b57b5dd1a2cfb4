/**
 * One user's requests answered in the order they came (server/chat/turns.ts), with literal
 * requests: some answered at once, some later (a promise), at most `max` waiting.
 */
import { expect } from 'chai';
import { ChatError } from '../../../common/errors.js';
import { Turns } from '../../../server/chat/turns.js';

describe('server/chat/turns', () => {
  const busy = () => new ChatError('FILE_WAITING', 'busy');
  /** A request answered when `settle` is called. */
  const later = () => {
    let settle!: () => void;
    const done = new Promise<void>((r) => (settle = r));
    return { done, settle };
  };

  it('runs a request at once, synchronously, while none of the user\'s waits', () => {
    const turns = new Turns(2, busy);
    const ran: string[] = [];
    expect(turns.run('ann', () => void ran.push('a'))).to.equal(undefined);
    expect(ran).to.deep.equal(['a']);
  });

  it('runs the requests behind one that waits after it, in order; another user\'s at once', async () => {
    const turns = new Turns(4, busy);
    const ran: string[] = [];
    const first = later();
    void turns.run('ann', () => first.done.then(() => void ran.push('a1')));
    const second = turns.run('ann', () => void ran.push('a2'));
    turns.run('bob', () => void ran.push('b1'));
    expect(ran).to.deep.equal(['b1']);
    first.settle();
    await second;
    expect(ran).to.deep.equal(['b1', 'a1', 'a2']);
    // All settled: the next runs at once again.
    await new Promise((r) => setImmediate(r));
    turns.run('ann', () => void ran.push('a3'));
    expect(ran.at(-1)).to.equal('a3');
  });

  it('refuses the request past `max` waiting with the error given, and takes one again once they settle', async () => {
    const turns = new Turns(2, busy);
    const first = later();
    const a = turns.run('ann', () => first.done);
    const b = turns.run('ann', () => {});
    expect(() => turns.run('ann', () => {})).to.throw(ChatError).with.property('code', 'FILE_WAITING');
    // A refused or failing request holds no turn of its own.
    first.settle();
    await Promise.all([a, b]);
    await new Promise((r) => setImmediate(r));
    const ran: string[] = [];
    turns.run('ann', () => void ran.push('again'));
    expect(ran).to.deep.equal(['again']);
  });
});
