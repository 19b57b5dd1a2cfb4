/**
 * Flood control with non-default limits (rateCount 2, rateWindow 10 s, muteSeconds 30): the
 * configuration reaches each session's limiter. The defaults (8 in 5 s, 10 s mute) would let every
 * burst here through, and would end the mute 20 s earlier. Fake clock; each line is answered
 * before the clock moves, so the server sees the time the test means.
 */
import { expect } from 'chai';
import type { ServerMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, type Running, type TestClient } from '../../support/harness.js';

describe('flood control with configured limits (fake clock)', () => {
  let clock: FakeClock;
  let srv: Running;
  let alice: TestClient;
  let bob: TestClient;

  beforeEach(async () => {
    clock = new FakeClock();
    // Nobody sends heartbeats here: keep presence from marking anyone offline as time moves.
    srv = await startServer({ rateCount: 2, rateWindow: 10, muteSeconds: 30, heartbeatTimeout: 3600 }, clock);
    alice = await srv.login('alice');
    bob = await srv.login('bob');
    await alice.notice('join');
  });
  afterEach(async () => srv.stop());

  /** Sends a line and waits for the server's answer to it: the echo, an error, or the mute notice. */
  async function say(text: string): Promise<ServerMessage> {
    return alice.request(
      { type: 'say', text },
      (m) => (m.type === 'msg' && m.text === text) || m.type === 'error' || (m.type === 'notice' && m.event === 'muted'),
    );
  }
  const heardByBob = async () => {
    await bob.sync();
    return bob.all('msg').map((m) => m.text);
  };

  it('mutes on the third line within 10 s, refuses lines for 30 s, then accepts them again', async () => {
    expect(await say('one')).to.include({ type: 'msg' });
    clock.advance(4000);
    expect(await say('two')).to.include({ type: 'msg' });
    clock.advance(5999); // 9.999 s after the first
    expect(await say('three')).to.deep.include({ type: 'notice', event: 'muted', message: 'You are sending too fast: muted for 30 s' });
    expect(srv.logs).to.include('WARN Rate limit: alice muted for 30 s');
    expect(await alice.error(), 'the refusal of the line that muted her').to.include({ code: 'MUTED', retry: 30 });

    const refused = async (text: string, seconds: number) =>
      expect(await say(text), text).to.deep.equal({
        type: 'error',
        code: 'MUTED',
        message: `you are muted for sending too fast; try again in ${seconds} s`,
        retry: seconds,
        re: 'say',
      });
    await refused('r1', 30);
    clock.advance(1000);
    await refused('r2', 29);
    clock.advance(20_000); // 21 s into the mute: a 10 s (default) mute would be over
    await refused('r3', 9);
    clock.advance(8999);
    await refused('r4', 1); // 1 ms left
    alice.send({ type: 'dm', to: 'bob', text: 'psst' });
    expect(await alice.error()).to.include({ code: 'MUTED', retry: 1 });
    expect(await heardByBob()).to.deep.equal(['one', 'two']);

    clock.advance(1); // 30 s after the mute
    expect(await say('back')).to.include({ type: 'msg', from: 'alice' });
    // The mute started a fresh window: 'back' is its first line, so one more goes, a third mutes.
    expect(await say('again')).to.include({ type: 'msg' });
    expect(await say('too much')).to.include({ type: 'notice', event: 'muted' });
    expect(await heardByBob()).to.deep.equal(['one', 'two', 'back', 'again']);
    expect(alice.all('notice').filter((n) => n.event === 'muted')).to.have.length(2);
  });

  it('never mutes lines 6 s apart (third line 12 s after the first), nor lines more than 10 s apart', async () => {
    const texts: string[] = [];
    for (let i = 0; i < 8; i++) {
      texts.push(`slow ${i}`);
      expect(await say(`slow ${i}`), `slow ${i}`).to.include({ type: 'msg' });
      clock.advance(6000);
    }
    for (let i = 0; i < 4; i++) {
      texts.push(`slower ${i}`);
      expect(await say(`slower ${i}`), `slower ${i}`).to.include({ type: 'msg' });
      clock.advance(10_001);
    }
    expect(await heardByBob()).to.deep.equal(texts);
    expect(alice.all('error')).to.deep.equal([]);
    expect(alice.all('notice').filter((n) => n.event === 'muted')).to.deep.equal([]);
  });

  it('counts each sender alone: bob may send while alice is muted', async () => {
    await say('a1');
    await say('a2');
    expect(await say('a3')).to.include({ type: 'notice', event: 'muted' });
    for (const text of ['b1', 'b2']) {
      bob.send({ type: 'say', text });
      expect(await alice.next((m) => m.type === 'msg' && m.from === 'bob')).to.include({ text });
    }
    expect(bob.all('notice').filter((n) => n.event === 'muted')).to.deep.equal([]);
  });
});
