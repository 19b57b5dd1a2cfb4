import { expect } from 'chai';
import { Waiting } from '../../../server/chat/waiting.js';

describe('Waiting (sessions without a connection)', () => {
  it('counts by address and in all, oldest first, and forgets what resumed', () => {
    const w = new Waiting<string>();
    expect(w.oldest()).to.equal(undefined);
    w.add('alice', '10.0.0.1');
    const here = w.add('bob', '10.0.0.1');
    w.add('carol', '10.0.0.2');
    expect([...here]).to.deep.equal(['alice', 'bob']);
    expect(w.size).to.equal(3);
    expect(w.oldest()).to.equal('alice');
    expect(w.addressOf('carol')).to.equal('10.0.0.2');
    w.remove('alice');
    w.remove('alice'); // twice: nothing more
    expect(w.oldest()).to.equal('bob');
    expect([...w.add('dave', '10.0.0.1')]).to.deep.equal(['bob', 'dave']);
    expect([...w.entries()]).to.deep.equal([
      ['bob', '10.0.0.1'],
      ['carol', '10.0.0.2'],
      ['dave', '10.0.0.1'],
    ]);
  });

  it('drops an address once nobody waits from it', () => {
    const w = new Waiting<string>();
    w.add('alice', '10.0.0.1');
    w.remove('alice');
    expect(w.size).to.equal(0);
    expect(w.addressOf('alice')).to.equal(undefined);
    expect([...w.add('bob', '10.0.0.1')]).to.deep.equal(['bob']);
  });
});
