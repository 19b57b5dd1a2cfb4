/** The servers a client may use: parsed from --server, and taken in turn. Pure, literal inputs. */
import { expect } from 'chai';
import { parseServers, ServerRing } from '../../client/servers.js';

describe('client/servers', () => {
  it('reads HOST, HOST:PORT, [IPV6], [IPV6]:PORT and a bare IPv6 address, repeated or in comma lists, in order', () => {
    expect(parseServers(['a.example:5556', 'b.example,  c.example:6000', '[::1]:7000', '[fe80::1]', '::1'], 5555)).to.deep.equal([
      { host: 'a.example', port: 5556 },
      { host: 'b.example', port: 5555 },
      { host: 'c.example', port: 6000 },
      { host: '::1', port: 7000 },
      { host: 'fe80::1', port: 5555 },
      { host: '::1', port: 5555 },
    ]);
  });

  it('counts a server named twice once', () => {
    expect(parseServers(['a:1,a:1', 'a:1', 'a:2'], 5555)).to.deep.equal([{ host: 'a', port: 1 }, { host: 'a', port: 2 }]);
  });

  it('refuses an empty entry, a missing host and a port that is not one, naming the entry', () => {
    expect(() => parseServers(['a,,b'], 5555)).to.throw('invalid --server "a,,b": an empty entry');
    expect(() => parseServers([''], 5555)).to.throw('invalid --server "": an empty entry');
    expect(() => parseServers([':5556'], 5555)).to.throw('invalid --server ":5556": no host');
    for (const bad of ['a:0', 'a:65536', 'a:x', 'a:', 'a:5e3', '[::1]:-1']) {
      expect(() => parseServers([bad], 5555), bad).to.throw(`invalid --server ${JSON.stringify(bad)}: the port must be a whole number from 1 to 65535`);
    }
  });

  it('takes the servers in turn, back to the first after the last; one server is always the same', () => {
    const ring = new ServerRing(parseServers(['a:1,b:2,c:3'], 5555));
    expect(ring.several).to.equal(true);
    const order = [ring.label(), ...[1, 2, 3, 4].map(() => (ring.next(), ring.label()))];
    expect(order).to.deep.equal(['a:1 (1 of 3)', 'b:2 (2 of 3)', 'c:3 (3 of 3)', 'a:1 (1 of 3)', 'b:2 (2 of 3)']);
    const one = new ServerRing([{ host: '::1', port: 5555 }]);
    expect(one.several).to.equal(false);
    expect(one.next()).to.equal(one.current);
    expect(one.label()).to.equal('[::1]:5555 (1 of 1)');
  });
});
