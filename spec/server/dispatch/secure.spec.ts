/**
 * Encrypted private sessions through a real server (real TCP on port 0): what the server relays
 * (keys, sealed lines) and what it refuses (an encrypted request to a client that cannot encrypt,
 * IRC included; a sealed line with nowhere encrypted to go), and that its log and its memory of
 * undelivered lines hold none of it.
 */
import { expect } from 'chai';
import { BUNDLE_KINDS, KEY_BUNDLE_BYTES, type ServerMessage } from '../../../common/protocol.js';
import type { BaseConnection } from '../../../server/net/connection.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';
import { IrcClient } from '../net/irc/client.js';

type Kind = keyof typeof BUNDLE_KINDS;
/** A key bundle as far as the server can tell: the right size, the kind in its first byte. */
const bundle = (kind: Kind, fill = 7) => {
  const b = Buffer.alloc(KEY_BUNDLE_BYTES, fill);
  b[0] = BUNDLE_KINDS[kind];
  return b.toString('base64');
};
/** A sealed line's body: base64 of a record the server cannot read. */
const sealed = (fill: number) => Buffer.alloc(60, fill).toString('base64');

describe('server: encrypted private sessions (real TCP)', () => {
  let srv: Running;
  const clients: { close(): void }[] = [];

  beforeEach(async () => {
    srv = await startServer({ ircPort: 0 });
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  /** A client that said at login what it can do (the tinychat client says both). */
  async function login(user: string, features: string[] = ['e2e', 'files']): Promise<TestClient> {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    const reply = await c.request({ type: 'login', user, password: 'pw', features }, (m) => m.type === 'login_ok' || m.type === 'error');
    if (reply.type !== 'login_ok') throw new Error(JSON.stringify(reply));
    return c;
  }

  async function encryptedPair(): Promise<[TestClient, TestClient]> {
    const alice = await login('alice');
    const bob = await login('bob');
    alice.send({ type: 'pm_request', to: 'bob', key: bundle('offer') });
    expect((await bob.notice('pm_invite')).key).to.equal(bundle('offer'));
    bob.send({ type: 'pm_answer', from: 'alice', accept: true, key: bundle('answer', 9) });
    expect((await alice.notice('pm_started')).key).to.equal(bundle('answer', 9));
    expect((await bob.notice('pm_started')).key).to.equal(undefined);
    return [alice, bob];
  }

  it('relays the signed keys of a request and its answer, and logs the request as encrypted', async () => {
    await encryptedPair();
    expect(srv.logs).to.include('INFO User alice requested a private chat with bob (end-to-end encrypted)');
  });

  it('refuses an encrypted request to a client that cannot encrypt (an older client, an IRC user), never sends it unencrypted', async () => {
    const alice = await login('alice');
    const old = await login('old', []);
    alice.send({ type: 'pm_request', to: 'old', key: bundle('offer') });
    const e = await alice.error();
    expect(e.code).to.equal('E2E_UNSUPPORTED');
    expect(e.message).to.match(/^old's client cannot encrypt .*NOT encrypted \(the server can read it\): \/plain old$/);
    const irc = await IrcClient.register(srv.server.ircPorts.plain!, 'ircbob');
    clients.push(irc);
    alice.send({ type: 'pm_request', to: 'ircbob', key: bundle('offer') });
    expect((await alice.error()).code).to.equal('E2E_UNSUPPORTED');
    await old.sync();
    expect(old.all('notice').filter((n) => n.event === 'pm_invite')).to.deep.equal([]);
    // Asked for as unencrypted, it goes, and the IRC user is invited as ever.
    alice.send({ type: 'pm_request', to: 'ircbob', plain: true });
    await irc.next((l) => l.command === 'NOTICE' && /alice wants a private chat with you/.test(l.params[1] ?? ''));
  });

  it('takes what a client can do from its login: an older client taking a session over with the password cannot be sent keys', async () => {
    const alice = await login('alice');
    await login('bob');
    const detached = new Promise((resolve) => srv.server.room.once('detached', resolve));
    (srv.server.room.find('bob')!.at as BaseConnection).destroy('test: a blip');
    await detached;
    // bob's session is taken over by a client that says nothing of encryption (an older one).
    await login('bob', []);
    alice.send({ type: 'pm_request', to: 'bob', key: bundle('offer') });
    expect((await alice.error()).code).to.equal('E2E_UNSUPPORTED');
    expect([...srv.server.room.find('bob')!.features]).to.deep.equal([]);
    // Words the server does not know are dropped.
    await login('carol', ['e2e', 'telepathy']);
    expect([...srv.server.room.find('carol')!.features]).to.deep.equal(['e2e']);
  });

  it('refuses a key of the wrong kind, a plain request with a key, and a refusal with one', async () => {
    const alice = await login('alice');
    const bob = await login('bob');
    alice.send({ type: 'pm_request', to: 'bob', key: bundle('answer') });
    expect(await alice.error()).to.include({ code: 'E2E_BAD_KEY', message: 'bad key: expected a offer key' });
    alice.send({ type: 'pm_request', to: 'bob', key: bundle('offer'), plain: true });
    expect((await alice.error()).code).to.equal('E2E_BAD_KEY');
    alice.send({ type: 'pm_request', to: 'bob', key: bundle('offer') });
    await bob.notice('pm_invite');
    bob.send({ type: 'pm_answer', from: 'alice', accept: false, key: bundle('answer') });
    expect((await bob.error()).code).to.equal('E2E_BAD_KEY');
  });

  it('relays a sealed line to the partner and back as sent; logs no text; refuses one with nowhere encrypted to go', async () => {
    const carol = await login('carol');
    carol.send({ type: 'say', text: sealed(1), sealed: true });
    expect((await carol.error()).code).to.equal('E2E_NOT_IN');
    const [alice, bob] = await encryptedPair();
    alice.send({ type: 'say', text: sealed(2), sealed: true });
    const got = await bob.line();
    expect(got).to.deep.include({ from: 'alice', to: 'bob', scope: 'private', sealed: true, text: sealed(2) });
    expect(await alice.line()).to.deep.include({ sealed: true, text: sealed(2) });
    expect(srv.logs).to.include('INFO Private line from alice to bob (end-to-end encrypted)');
    expect(srv.logs.join('\n')).to.not.include(sealed(2));
    alice.send({ type: 'say', text: sealed(3), sealed: true, group: true });
    expect((await alice.error()).code).to.equal('E2E_NOT_IN');
    alice.send({ type: 'say', text: sealed(3), sealed: true, action: true });
    expect((await alice.error()).code).to.equal('E2E_NOT_IN');
    await carol.sync();
    expect(carol.all('msg')).to.deep.equal([]);
  });

  it('refuses a sealed body that is not canonical base64, or too short to be a record', async () => {
    const alice = await login('alice');
    const frame = (body: string) => {
      const head = Buffer.from(JSON.stringify({ type: 'say', 'content-length': body.length, 'content-type': 'application/tinychat-e2e', 'content-encoding': 'base64' }));
      return Buffer.concat([Buffer.from([head.length >> 8, head.length & 255]), head, Buffer.from(body, 'latin1')]);
    };
    alice.raw(frame('QUJD'.repeat(10) + 'QQ'));
    expect(await alice.error()).to.include({ code: 'BAD_FIELD', message: 'field "body" is not canonical base64' });
    alice.raw(frame('QUJD'));
    expect(await alice.error()).to.include({ code: 'BAD_FIELD', message: 'field "content-length" is too short for a sealed record' });
  });

  it('relays new keys to the partner only, within an encrypted session', async () => {
    const carol = await login('carol');
    carol.send({ type: 'pm_rekey', key: bundle('rekey') });
    expect((await carol.error()).code).to.equal('E2E_NOT_IN');
    const [alice, bob] = await encryptedPair();
    alice.send({ type: 'pm_rekey', key: bundle('rekey', 3) });
    const n = await bob.notice('pm_rekey');
    expect(n).to.deep.include({ user: 'alice', key: bundle('rekey', 3) });
    bob.send({ type: 'pm_rekey', key: bundle('offer') });
    expect((await bob.error()).code).to.equal('E2E_BAD_KEY');
  });

  it('remembers no sealed text for a partner who never comes back: the sender hears of "an encrypted line"', async () => {
    const [alice, bob] = await encryptedPair();
    const detached = new Promise((resolve) => srv.server.room.once('detached', resolve));
    bob.close();
    await detached;
    alice.send({ type: 'say', text: sealed(5), sealed: true });
    await alice.notice('pm_disconnected');
    srv.server.room.end(srv.server.room.find('bob')!, 'offline');
    const n: ServerMessage<'notice'> = await alice.notice('pm_undelivered');
    expect(n.message).to.equal('These private lines did not reach bob: "(an encrypted line)"');
  });
});
