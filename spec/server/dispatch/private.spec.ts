/**
 * Consent-based private sessions (seed 002) over real TCP: the seed's whole transcript with its
 * four users, then every refusal, several pending requests, expiry and a partner who disconnects.
 */
import { expect } from 'chai';
import { FakeClock } from '../../support/fake-clock.js';
import { Beater } from '../../support/heartbeats.js';
import { waitUntil } from '../../support/wait.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';

type Client = Awaited<ReturnType<typeof TestClient.login>>;

/** Long enough that nobody goes offline for want of heartbeats while a test advances the clock. */
const LONG = 3600;

let clock: FakeClock;
let srv: Running;
let clients: TestClient[];

async function start(config: Parameters<typeof startServer>[0] = {}): Promise<void> {
  clock = new FakeClock();
  srv = await startServer({ heartbeatTimeout: LONG, ...config }, clock);
  clients = [];
}
async function login(name: string): Promise<Client> {
  const c = await TestClient.login(srv.port, name);
  clients.push(c);
  return c;
}
async function stop(): Promise<void> {
  clients.forEach((c) => c.close());
  await srv.stop();
}

const say = (c: TestClient, text: string, group?: boolean) => c.send({ type: 'say', text, ...(group ? { group } : {}) });
const ask = (c: TestClient, to: string) => c.send({ type: 'pm_request', to });
/** Private-chat notices received so far, as "event: message". */
const pmNotices = (c: TestClient) => c.all('notice').filter((n) => n.event.startsWith('pm_')).map((n) => `${n.event}: ${n.message}`);
const lines = (c: TestClient) => c.all('msg').map((m) => `${m.scope} ${m.from}: ${m.text}`);

describe('private sessions: the seed 002 story', () => {
  before(() => start());
  after(() => stop());

  let mucahit: Client, ahmet: Client, bera: Client, hakan: Client;

  it('four users log in and chat in the group', async () => {
    mucahit = await login('Mucahit');
    ahmet = await login('Ahmet');
    hakan = await login('Hakan');
    bera = await login('Bera');
    say(bera, 'merhaba arkadaşlar');
    say(mucahit, 'Merhaba');
    for (const c of [mucahit, ahmet, hakan, bera]) {
      expect(await c.line()).to.deep.include({ from: 'Bera', scope: 'group', text: 'merhaba arkadaşlar' });
      expect(await c.line()).to.deep.include({ from: 'Mucahit', scope: 'group', text: 'Merhaba' });
    }
  });

  it('Hakan asks Mucahit, who is asked "(Y/N)?" and answers y', async () => {
    ask(hakan, 'Mucahit');
    expect(await hakan.notice('pm_sent')).to.deep.include({
      message: 'Private chat request sent to Mucahit; waiting for the answer',
      user: 'Mucahit',
    });
    expect(await mucahit.notice('pm_invite')).to.deep.include({
      message: 'Hakan wants a private chat with you (Y/N)?',
      user: 'Hakan',
    });
    say(mucahit, 'y');
    expect(await hakan.notice('pm_started')).to.deep.include({
      message: 'You are now in a private chat with Mucahit. Type EXIT PM to leave.',
      user: 'Mucahit',
    });
    expect((await mucahit.notice('pm_started')).message).to.equal('You are now in a private chat with Hakan. Type EXIT PM to leave.');
    expect(srv.logs).to.include('INFO User Hakan requested a private chat with Mucahit');
    expect(srv.logs).to.include('INFO Private chat started between Hakan and Mucahit');
  });

  it('their lines go only to each other, marked private; Ahmet and Bera see nothing, not even the "y"', async () => {
    say(hakan, 'private chatteyiz');
    expect(await mucahit.line()).to.deep.include({ from: 'Hakan', to: 'Mucahit', scope: 'private', text: 'private chatteyiz' });
    expect(await hakan.line()).to.deep.include({ from: 'Hakan', scope: 'private', text: 'private chatteyiz' });
    say(mucahit, 'evet');
    expect(await hakan.line()).to.deep.include({ from: 'Mucahit', to: 'Hakan', scope: 'private', text: 'evet' });
    for (const c of [ahmet, bera]) {
      await c.sync();
      expect(lines(c)).to.deep.equal(['group Bera: merhaba arkadaşlar', 'group Mucahit: Merhaba']);
      expect(pmNotices(c)).to.deep.equal([]);
    }
  });

  it('group messages still reach both, marked group; either can still write to the group', async () => {
    say(ahmet, 'grup burada');
    for (const c of [hakan, mucahit]) {
      expect(await c.next((m) => m.type === 'msg' && m.from === 'Ahmet')).to.deep.include({ scope: 'group', text: 'grup burada' });
    }
    say(hakan, 'hello group', true);
    for (const c of [ahmet, bera, mucahit]) {
      expect(await c.next((m) => m.type === 'msg' && m.from === 'Hakan' && m.scope === 'group')).to.deep.include({ text: 'hello group' });
    }
  });

  it('Bera asks Hakan, busy in a private chat: refused with the precise reason, Hakan is not disturbed', async () => {
    ask(bera, 'Hakan');
    expect(await bera.error()).to.deep.include({ code: 'PM_BUSY', message: 'Hakan is already in a private chat' });
    await hakan.sync();
    expect(hakan.all('notice').filter((n) => n.event === 'pm_invite')).to.deep.equal([]);
  });

  it('Hakan types EXIT PM: Mucahit is told "Hakan left the private chat", both are back in the group', async () => {
    hakan.send({ type: 'pm_exit' });
    expect(await hakan.notice('pm_ended')).to.deep.include({ message: 'You left the private chat with Mucahit' });
    expect(await mucahit.notice('pm_ended')).to.deep.include({ message: 'Hakan left the private chat', user: 'Hakan' });
    say(mucahit, 'Why you left me!!');
    for (const c of [ahmet, bera, hakan]) {
      expect(await c.next((m) => m.type === 'msg' && m.from === 'Mucahit' && m.text === 'Why you left me!!')).to.deep.include({
        scope: 'group',
      });
    }
    expect(srv.logs).to.include('INFO Private chat between Hakan and Mucahit closed by Hakan');
  });

  it('Bera asks Hakan again; Hakan answers n; Bera is told Hakan refused; the "n" is not a chat line', async () => {
    ask(bera, 'Hakan');
    expect((await hakan.notice('pm_invite')).message).to.equal('Bera wants a private chat with you (Y/N)?');
    say(hakan, 'n');
    expect(await bera.notice('pm_refused')).to.deep.include({ message: 'Hakan refused your private chat request', user: 'Hakan' });
    expect((await hakan.notice('pm_refused')).message).to.equal('You refused the private chat request from Bera');
    for (const c of [ahmet, mucahit, bera]) {
      await c.sync();
      expect(c.all('msg').filter((m) => m.from === 'Hakan' && m.scope === 'group').map((m) => m.text)).to.deep.equal(['hello group']);
    }
    // Not in a private chat: Bera's lines go to the group.
    say(bera, 'ok');
    expect(await hakan.line()).to.deep.include({ from: 'Bera', scope: 'group', text: 'ok' });
  });
});

describe('private sessions: refusals', () => {
  let alice: Client, bob: Client, carol: Client;
  beforeEach(async () => {
    await start();
    alice = await login('alice');
    bob = await login('bob');
    carol = await login('carol');
  });
  afterEach(() => stop());

  const refused = async (c: TestClient, to: string) => {
    ask(c, to);
    return c.error();
  };

  it('asking yourself, in any case', async () => {
    for (const to of ['alice', 'ALICE']) {
      expect(await refused(alice, to)).to.deep.include({ code: 'PM_SELF', message: 'you cannot start a private chat with yourself' });
    }
  });

  it('asking a name that is no account, or an account that is offline: said as a /msg to them is', async () => {
    expect(await refused(alice, 'nobody')).to.deep.include({ code: 'NO_SUCH_USER', message: 'there is no account named nobody', user: 'nobody' });
    carol.send({ type: 'logout' });
    await carol.whenClosed();
    expect(await refused(alice, 'carol')).to.deep.include({ code: 'NO_SUCH_USER', message: 'carol is not online', user: 'carol' });
  });

  it('asking the same user twice while the first request is pending', async () => {
    ask(alice, 'bob');
    await bob.notice('pm_invite');
    expect(await refused(alice, 'bob')).to.deep.include({ code: 'PM_OUTGOING', message: 'you already asked bob; wait for the answer' });
    expect(await refused(bob, 'alice')).to.deep.include({
      code: 'PM_PENDING',
      message: 'a private chat request between you and alice is already pending',
    });
    await bob.sync();
    expect(pmNotices(bob)).to.deep.equal(['pm_invite: alice wants a private chat with you (Y/N)?']);
  });

  it('asking someone else while your own request is pending', async () => {
    ask(alice, 'bob');
    await alice.notice('pm_sent');
    expect(await refused(alice, 'carol')).to.deep.include({ code: 'PM_OUTGOING', message: 'you already asked bob; wait for the answer' });
    await carol.sync();
    expect(pmNotices(carol)).to.deep.equal([]);
  });

  it('asking while you are in a private chat yourself', async () => {
    ask(alice, 'bob');
    await bob.notice('pm_invite');
    bob.send({ type: 'pm_answer', accept: true });
    await alice.notice('pm_started');
    expect(await refused(alice, 'carol')).to.deep.include({
      code: 'PM_YOU_BUSY',
      message: 'you are already in a private chat with bob; type EXIT PM first',
    });
  });

  it('EXIT PM and answers when there is nothing to leave or answer', async () => {
    alice.send({ type: 'pm_exit' });
    expect(await alice.error()).to.deep.include({ code: 'PM_NOT_IN', message: 'you are not in a private chat' });
    alice.send({ type: 'pm_answer', accept: true });
    expect(await alice.error()).to.deep.include({ code: 'PM_NO_REQUEST', message: 'nobody has asked you for a private chat' });
    alice.send({ type: 'pm_answer', from: 'bob', accept: false });
    expect(await alice.error()).to.deep.include({ code: 'PM_NO_REQUEST', message: 'bob has not asked you for a private chat' });
  });

  it('a bare Y with no request pending is an ordinary group line', async () => {
    say(alice, 'Y');
    expect(await bob.line()).to.deep.include({ from: 'alice', scope: 'group', text: 'Y' });
  });
});

describe('private sessions: several requests for one user', () => {
  let alice: Client, bob: Client, carol: Client, dave: Client, erin: Client;
  beforeEach(async () => {
    await start();
    [alice, bob, carol, dave, erin] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map(login)) as Client[];
    // carol, alice and dave ask bob, in that order.
    for (const c of [carol, alice, dave]) {
      ask(c, 'bob');
      await bob.next((m) => m.type === 'notice' && m.event === 'pm_invite' && m.user === c.me.user);
    }
  });
  afterEach(() => stop());

  it('a bare Y accepts the oldest; the others are told the request is cancelled', async () => {
    say(bob, ' Y ');
    expect((await carol.notice('pm_started')).user).to.equal('bob');
    expect((await bob.notice('pm_started')).user).to.equal('carol');
    for (const c of [alice, dave]) {
      expect(await c.notice('pm_cancelled')).to.deep.include({
        message: 'The private chat request between you and bob was cancelled: bob is no longer available',
        user: 'bob',
      });
    }
    // alice and dave are free to ask someone else.
    ask(alice, 'erin');
    expect((await erin.notice('pm_invite')).user).to.equal('alice');
  });

  it('/reject NAME and /accept NAME choose, without regard to case', async () => {
    bob.send({ type: 'pm_answer', from: 'ALICE', accept: false });
    expect((await alice.notice('pm_refused')).message).to.equal('bob refused your private chat request');
    bob.send({ type: 'pm_answer', from: 'dave', accept: true });
    expect((await dave.notice('pm_started')).user).to.equal('bob');
    expect((await bob.notice('pm_started')).user).to.equal('dave');
    expect((await carol.notice('pm_cancelled')).user).to.equal('bob');
    await alice.sync();
    expect(pmNotices(alice)).to.deep.equal(['pm_sent: Private chat request sent to bob; waiting for the answer', 'pm_refused: bob refused your private chat request']);
    // bob and dave talk privately; carol and alice see none of it.
    say(bob, 'hi dave');
    expect(await dave.line()).to.deep.include({ from: 'bob', scope: 'private', text: 'hi dave' });
    for (const c of [alice, carol]) {
      await c.sync();
      expect(c.all('msg')).to.deep.equal([]);
    }
  });

  it('a bare N refuses the oldest only; the next Y answers the next oldest', async () => {
    say(bob, 'n');
    expect((await carol.notice('pm_refused')).user).to.equal('bob');
    say(bob, 'y');
    expect((await alice.notice('pm_started')).user).to.equal('bob');
    expect((await dave.notice('pm_cancelled')).user).to.equal('bob');
  });

  it('a request whose sender logs out is withdrawn, and bob is told', async () => {
    carol.send({ type: 'logout' });
    expect(await bob.notice('pm_cancelled')).to.deep.include({
      message: 'The private chat request between you and carol was cancelled: carol is no longer available',
    });
    say(bob, 'y');
    expect((await alice.notice('pm_started')).user).to.equal('bob');
  });
});

describe('private sessions: expiry (fake clock)', () => {
  let alice: Client, bob: Client;
  beforeEach(async () => {
    await start();
    alice = await login('alice');
    bob = await login('bob');
  });
  afterEach(() => stop());

  it('an unanswered request expires after 60 s and both are told; then Y is just a chat line', async () => {
    ask(alice, 'bob');
    await bob.notice('pm_invite');
    clock.advance(59_000);
    await Promise.all([alice.sync(), bob.sync()]);
    expect(alice.all('notice').filter((n) => n.event === 'pm_expired')).to.deep.equal([]);
    clock.advance(1000);
    expect(await alice.notice('pm_expired')).to.deep.include({
      message: 'Your private chat request to bob expired after 60 s without an answer',
      user: 'bob',
    });
    expect(await bob.notice('pm_expired')).to.deep.include({ message: 'The private chat request from alice expired', user: 'alice' });
    expect(srv.logs).to.include('INFO Private chat request from alice to bob expired');
    say(bob, 'Y');
    expect(await alice.line()).to.deep.include({ from: 'bob', scope: 'group', text: 'Y' });
    // alice may ask again.
    ask(alice, 'bob');
    expect((await bob.notice('pm_invite')).user).to.equal('alice');
  });

  it('follows the --pm-timeout option', async () => {
    await stop();
    await start({ pmTimeout: 5 });
    alice = await login('alice');
    bob = await login('bob');
    ask(alice, 'bob');
    await bob.notice('pm_invite');
    clock.advance(5000);
    expect((await alice.notice('pm_expired')).message).to.equal('Your private chat request to bob expired after 5 s without an answer');
  });
});

describe('private sessions: the partner leaves', () => {
  const TIMEOUT = 20;
  let mucahit: Client, hakan: Client, ahmet: Client;
  const beaters: Beater[] = [];

  beforeEach(async () => {
    await start({ heartbeatTimeout: TIMEOUT });
    mucahit = await login('Mucahit');
    hakan = await login('Hakan');
    ahmet = await login('Ahmet');
    ask(hakan, 'Mucahit');
    await mucahit.notice('pm_invite');
    say(mucahit, 'Y');
    await hakan.notice('pm_started');
  });
  afterEach(async () => {
    beaters.splice(0).forEach((b) => b.close());
    await stop();
  });

  it('a partner whose connection drops is gone once heartbeats stop: "Hakan left the private chat", back to group', async () => {
    const alive = await Promise.all([mucahit, ahmet].map((c) => Beater.open(srv.server.counters, srv.udpPort, c.me)));
    beaters.push(...alive);
    hakan.close();
    await waitUntil(() => srv.logs.some((l) => l.startsWith('INFO Lost connection from Hakan')), 'the server noticed the drop');
    // A drop only detaches the session: nobody is told yet.
    await mucahit.sync();
    expect(pmNotices(mucahit).filter((n) => n.startsWith('pm_ended'))).to.deep.equal([]);

    clock.advance(10_000);
    for (const b of alive) await b.beat();
    clock.advance(9_000);
    await mucahit.sync();
    expect(mucahit.all('notice').filter((n) => n.event === 'offline')).to.deep.equal([]);
    clock.advance(1_000); // 20 s after Hakan's last sign of life
    expect(await mucahit.notice('pm_ended')).to.deep.include({ message: 'Hakan left the private chat', user: 'Hakan' });
    for (const c of [mucahit, ahmet]) {
      expect(await c.notice('offline')).to.deep.include({
        message: 'Hakan went offline (no heartbeat for 20 s)',
        user: 'Hakan',
        online: ['Ahmet', 'Mucahit'],
      });
    }
    say(mucahit, 'Why you left me!!');
    expect(await ahmet.line()).to.deep.include({ from: 'Mucahit', scope: 'group', text: 'Why you left me!!' });
  });

  it('a partner who logs out ends the session at once', async () => {
    hakan.send({ type: 'logout' });
    expect((await mucahit.notice('pm_ended')).message).to.equal('Hakan left the private chat');
    expect((await mucahit.notice('leave')).online).to.deep.equal(['Ahmet', 'Mucahit']);
    say(mucahit, 'alone again');
    expect(await ahmet.line()).to.deep.include({ scope: 'group', text: 'alone again' });
  });

  it('the partner of someone who logged out can start a new private chat', async () => {
    hakan.send({ type: 'logout' });
    await mucahit.notice('pm_ended');
    ask(mucahit, 'Ahmet');
    expect((await ahmet.notice('pm_invite')).message).to.equal('Mucahit wants a private chat with you (Y/N)?');
  });
});

describe('private sessions: --max-pm-requests', () => {
  before(() => start({ maxPmRequests: 1 }));
  after(() => stop());

  it('refuses a request past the cap on one user\'s waiting requests, in words, to the asker only', async () => {
    const carol = await login('carol');
    const alice = await login('alice');
    const bob = await login('bob');
    ask(alice, 'carol');
    await carol.notice('pm_invite');
    ask(bob, 'carol');
    expect(await bob.error()).to.include({ code: 'PM_TOO_MANY' });
    await carol.sync();
    expect(carol.all('notice').filter((n) => n.event === 'pm_invite').map((n) => n.user)).to.deep.equal(['alice']);
  });
});

describe('private sessions: asking someone who is away', () => {
  beforeEach(() => start());
  afterEach(() => stop());

  it('tells the asker the away message with the request sent (once, as a /msg would), and still asks', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    bob.send({ type: 'away', message: 'at lunch' });
    await bob.notice('away');
    ask(alice, 'bob');
    expect((await alice.notice('pm_sent')).message).to.equal('Private chat request sent to bob; waiting for the answer');
    expect(await alice.notice('away')).to.include({ user: 'bob', message: 'bob is away: at lunch' });
    expect((await bob.notice('pm_invite')).message).to.equal('alice wants a private chat with you (Y/N)?');
    // Told once each per absence, a /msg after the request included.
    alice.send({ type: 'dm', to: 'bob', text: 'there?' });
    await bob.line();
    await alice.sync();
    expect(alice.all('notice').filter((n) => n.event === 'away')).to.have.length(1);
  });

  it('says nothing more to an asker of someone who is not away', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    ask(alice, 'bob');
    await bob.notice('pm_invite');
    await alice.sync();
    expect(alice.all('notice').map((n) => n.event)).to.not.include('away');
  });
});
