import { expect } from 'chai';
import { startServer, TestClient, type Running } from '../support/harness.js';

describe('smoke', () => {
  let srv: Running;
  beforeEach(async () => {
    srv = await startServer();
  });
  afterEach(async () => srv.stop());

  it('registers, chats, logs out', async () => {
    const a = await TestClient.login(srv.port, 'alice');
    expect(a.me.created).to.equal(true);
    const b = await TestClient.login(srv.port, 'bob');
    await a.notice('join');
    a.send({ type: 'say', text: 'hello 👋\nworld' });
    const got = await b.line();
    expect(got).to.include({ from: 'alice', scope: 'group', text: 'hello 👋\nworld' });
    b.send({ type: 'logout' });
    const bye = await b.next((m) => m.type === 'bye');
    expect(bye.type).to.equal('bye');
    const left = await a.notice('leave');
    expect(left.online).to.deep.equal(['alice']);
  });
});
