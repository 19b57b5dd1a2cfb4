/**
 * The heartbeats of each login, with a fake clock and a recording socket: started at the pace the
 * server needs, and the line that says so when that is not the pace asked for, once per pace.
 */
import { expect } from 'chai';
import type { ServerMessage } from '../../common/protocol.js';
import { Formatter } from '../../client/format.js';
import { HeartbeatSender } from '../../client/heartbeat.js';
import { Pacemaker } from '../../client/pacemaker.js';
import { FakeClock } from '../support/fake-clock.js';

function setup(config: { heartbeatInterval: number; udpPort?: number }) {
  const clock = new FakeClock();
  const hosts: string[] = [];
  const sender = new HeartbeatSender(clock, () => ({ send: (_d, _p, host) => void hosts.push(host), close: () => {} }));
  const pacemaker = new Pacemaker(sender, new Formatter(() => '12:00:00', () => clock.now()), config);
  return { clock, hosts, sender, pacemaker };
}

const loginOk = (timeout: number | undefined): ServerMessage<'login_ok'> => ({
  type: 'login_ok', user: 'alice', created: false, guest: false, udpPort: 4000,
  session: 'sess', secret: Buffer.alloc(32, 1).toString('base64'), network: 'net1',
  ...(timeout === undefined ? {} : { timeout }),
});

describe('client/pacemaker', () => {
  it('beats at the interval asked for when the server leaves room for two beats, to the host given, and says nothing', () => {
    const { clock, hosts, pacemaker } = setup({ heartbeatInterval: 5 });
    expect(pacemaker.start(loginOk(20), '10.0.0.7')).to.deep.equal([]);
    clock.advance(10_000);
    expect(hosts).to.deep.equal(['10.0.0.7', '10.0.0.7', '10.0.0.7']);
  });

  it('beats faster than asked for a server that would mark the user offline, and says so once per pace', () => {
    const { clock, hosts, pacemaker } = setup({ heartbeatInterval: 30 });
    const said = pacemaker.start(loginOk(1), '127.0.0.1').map((l) => l.text);
    expect(said).to.have.length(1);
    expect(said[0]).to.contain('Heartbeats every 30 s (--heartbeat-interval) are too far apart for this server, which marks you offline after 1 s without one: beating every 0.25 s instead.');
    clock.advance(500);
    expect(hosts).to.have.length(3);
    expect(pacemaker.start(loginOk(1), '127.0.0.1')).to.deep.equal([]);
    expect(pacemaker.start(loginOk(2), '127.0.0.1').map((l) => l.text).join()).to.contain('beating every 0.5 s instead');
  });

  it('does not beat without a UDP port, a session or a secret, and stops for good', () => {
    const { clock, hosts, sender, pacemaker } = setup({ heartbeatInterval: 5 });
    const { udpPort: _, ...noPort } = loginOk(20);
    expect(pacemaker.start(noPort, '127.0.0.1')).to.deep.equal([]);
    expect(sender.running).to.equal(false);
    pacemaker.start(loginOk(20), '127.0.0.1');
    pacemaker.stop();
    pacemaker.stop();
    clock.advance(20_000);
    expect(hosts).to.have.length(1);
    expect(sender.running).to.equal(false);
  });

  it('beats on the port given in the options rather than the one the server names', () => {
    const clock = new FakeClock();
    const ports: number[] = [];
    const sender = new HeartbeatSender(clock, () => ({ send: (_d, port) => void ports.push(port), close: () => {} }));
    new Pacemaker(sender, new Formatter(() => '', () => 0), { heartbeatInterval: 5, udpPort: 4100 }).start(loginOk(20), '127.0.0.1');
    expect(ports).to.deep.equal([4100]);
  });
});
