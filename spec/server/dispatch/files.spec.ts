/**
 * File offers over real TCP: what a stranger's unanswered offers can take from the user they are
 * made to (the rules themselves are tested on their own in spec/server/chat/transfers.spec.ts).
 */
import { expect } from 'chai';
import type { ClientMessage, ServerMessage } from '../../../common/protocol.js';
import { FakeClock } from '../../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../../support/harness.js';

const SHA = Buffer.alloc(32).toString('base64');

describe('dispatch/files: offers over TCP', () => {
  let srv: Running;
  const clients: TestClient[] = [];
  const login = async (user: string) => {
    const c = await TestClient.login(srv.port, user, 'pw', ['files']);
    clients.push(c);
    return c;
  };
  const offer = (c: TestClient, to: string, id: string) => {
    const msg: ClientMessage<'file_offer'> = { type: 'file_offer', to, id, size: 100, name: 'x.bin', sha256: SHA };
    return c.request(msg, (m) => m.type === 'error' || (m.type === 'transfer' && m.event === 'offered' && m.id === id));
  };

  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  it("lets a stranger's unanswered offers block neither a friend's offer nor the receiver's own", async () => {
    const victim = await login('victim');
    const friend = await login('friend');
    const stranger = await login('stranger');
    expect(await offer(stranger, 'victim', 'h1')).to.deep.include({ type: 'transfer', event: 'offered' });
    expect(await offer(stranger, 'victim', 'h2')).to.deep.include({
      type: 'error',
      code: 'FILE_OFFER_PENDING',
      message: 'your file offer to victim is still waiting for an answer; offer the next once it is answered',
      id: 'h2',
    });
    expect(await offer(friend, 'victim', 'gift')).to.deep.include({ type: 'transfer', event: 'offered' });
    const gift = await victim.next<ServerMessage<'transfer'>>((m) => m.type === 'transfer' && m.event === 'offer' && m.from === 'friend');
    expect(gift).to.deep.include({ id: 'gift', to: 'victim', size: 100 });
    expect(await offer(victim, 'friend', 'mine')).to.deep.include({ type: 'transfer', event: 'offered' });
  });

  it('refuses an offer to a name that is no account as a /msg is refused, and one to an offline account as not online', async () => {
    await srv.stop();
    srv = await startServer({ allowGuests: true });
    const bob = await login('bob');
    const cem = await login('cem');
    cem.send({ type: 'logout' });
    await cem.whenClosed();
    const guest = await TestClient.login(srv.port, 'dora', '', ['files']);
    clients.push(guest);
    expect(await offer(bob, 'zed', 'n1')).to.deep.include({ code: 'NO_SUCH_USER', message: 'there is no account named zed', id: 'n1' });
    expect(await offer(bob, 'Cem', 'n2')).to.deep.include({ code: 'NO_SUCH_USER', message: 'Cem is not online', id: 'n2' });
    // A guest has no account, but is someone while online.
    expect(await offer(bob, 'dora', 'n3')).to.deep.include({ type: 'transfer', event: 'offered' });
  });

  it('refuses an offer of a negative size as no size, and one of 0 bytes as an empty file', async () => {
    const bob = await login('bob');
    await login('cem');
    const sized = (id: string, size: number) =>
      bob.request({ type: 'file_offer', to: 'cem', id, size, name: 'x.bin', sha256: SHA }, (m) => m.type === 'error' || m.type === 'transfer');
    expect(await sized('s1', -1)).to.deep.include({ code: 'FILE_BAD_OFFER', message: "bad file offer: size -1 is no size: give the file's length in bytes", id: 's1' });
    expect(await sized('s2', 0)).to.deep.include({ code: 'FILE_BAD_OFFER', message: 'bad file offer: an empty file is not sent', id: 's2' });
  });

  it('says the digest is too long in base64, not in bytes of a digest: a SHA-256 in hex is 64 characters', async () => {
    const bob = await login('bob');
    await login('cem');
    const digest = (id: string, sha256: string) =>
      bob.request({ type: 'file_offer', to: 'cem', id, size: 100, name: 'x.bin', sha256 }, (m) => m.type === 'error' || m.type === 'transfer');
    expect(await digest('h1', 'ab'.repeat(32))).to.deep.include({ code: 'BAD_FIELD', message: 'field "sha256" is longer than 32 bytes in base64 (44 characters)' });
    expect(await digest('h2', Buffer.alloc(31).toString('base64'))).to.deep.include({ code: 'BAD_FIELD', message: 'field "sha256" must be 32 bytes in base64' });
  });

  it('names the offer or answer a refusal is about (id, and from for an answer), so a client matches it exactly', async () => {
    const bob = await login('bob');
    await login('cem');
    expect(await offer(bob, 'nobody', 'x1')).to.deep.include({ type: 'error', code: 'NO_SUCH_USER', id: 'x1' });
    const answer: ClientMessage<'file_answer'> = { type: 'file_answer', from: 'cem', id: 'x2', accept: true };
    expect(await bob.request(answer, (m) => m.type === 'error')).to.deep.include({ code: 'FILE_NO_SUCH', from: 'cem', id: 'x2' });
    const cancel = await bob.request({ type: 'file_cancel', id: 'x3' }, (m) => m.type === 'error');
    expect(cancel, 'a cancel is not matched to a request: its refusal names none').to.not.have.property('id');
  });

  it('names the transfer a refused chunk (id), ack or done (from, id) is for: one that crossed the end is no news to the client', async () => {
    const bob = await login('bob');
    const chunk: ClientMessage<'file_chunk'> = { type: 'file_chunk', id: 'c1', seq: 0, data: Buffer.from('abc') };
    expect(await bob.request(chunk, (m) => m.type === 'error')).to.deep.include({ code: 'FILE_NO_SUCH', id: 'c1' });
    const ack: ClientMessage<'file_ack'> = { type: 'file_ack', from: 'cem', id: 'c2', seq: 0 };
    expect(await bob.request(ack, (m) => m.type === 'error')).to.deep.include({ code: 'FILE_NO_SUCH', from: 'cem', id: 'c2' });
    const done: ClientMessage<'file_done'> = { type: 'file_done', from: 'cem', id: 'c3', ok: true };
    expect(await bob.request(done, (m) => m.type === 'error')).to.deep.include({ code: 'FILE_NO_SUCH', from: 'cem', id: 'c3' });
  });

  it("names the offer the flood limit refuses (MUTED, once), the one that starts the mute and those after it", async () => {
    await srv.stop();
    // A fake clock that never moves: two messages pass, the third starts a 30 s mute.
    srv = await startServer({ rateCount: 2, rateWindow: 10, muteSeconds: 30 }, new FakeClock());
    const alice = await login('alice');
    await login('bob');
    for (const text of ['one', 'two']) await alice.request({ type: 'say', text }, (m) => m.type === 'msg' && m.text === text);
    expect(await offer(alice, 'bob', 'f1')).to.deep.include({ type: 'error', code: 'MUTED', retry: 30, id: 'f1' });
    expect(alice.all('notice').filter((n) => n.event === 'muted'), 'the notice that mutes').to.have.length(1);
    expect(await offer(alice, 'bob', 'f2')).to.deep.include({ type: 'error', code: 'MUTED', retry: 30, id: 'f2' });
    await alice.sync();
    expect(alice.all('error').map((e) => [e.code, e.id]), 'one refusal for each offer').to.deep.equal([
      ['MUTED', 'f1'],
      ['MUTED', 'f2'],
    ]);
  });
});
