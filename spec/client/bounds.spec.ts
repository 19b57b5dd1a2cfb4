import { expect } from 'chai';
import { numberProblem } from '../../client/bounds.js';
import type { ServerMessage } from '../../common/protocol.js';

const ok: ServerMessage<'login_ok'> = { type: 'login_ok', user: 'a', created: false, guest: false, udpPort: 5555, timeout: 20, count: 1 };

describe('client/bounds', () => {
  it('takes the numbers a server sends when they mean something', () => {
    expect(numberProblem(ok)).to.equal(null);
    expect(numberProblem({ ...ok, udpPort: 1, timeout: 86_400, count: 0 })).to.equal(null);
    expect(numberProblem({ type: 'login_ok', user: 'a', created: false, guest: false })).to.equal(null);
    expect(numberProblem({ type: 'msg', id: 0, from: 'b', ts: Date.UTC(2026, 0, 1), scope: 'group', text: 'x' })).to.equal(null);
  });

  it('names the field and its range when one does not', () => {
    expect(numberProblem({ ...ok, udpPort: 0 })).to.equal('udpPort 0 is outside 1–65535');
    expect(numberProblem({ ...ok, udpPort: 65536 })).to.equal('udpPort 65536 is outside 1–65535');
    expect(numberProblem({ ...ok, timeout: 0 })).to.equal('timeout 0 is outside 1–86400');
    expect(numberProblem({ ...ok, timeout: 2 ** 31 })).to.equal('timeout 2147483648 is outside 1–86400');
    expect(numberProblem({ ...ok, count: -1 })).to.equal('count -1 is outside 0–1000000000');
    expect(numberProblem({ type: 'msg', id: -1, from: 'b', ts: 0, scope: 'group', text: 'x' })).to.equal('id -1 is outside 0–9007199254740991');
    expect(numberProblem({ type: 'notice', event: 'join', message: '', ts: 9e15 })).to.equal('ts 9000000000000000 is outside 0–8640000000000000');
    expect(numberProblem({ type: 'who', online: [], count: -5 })).to.equal('count -5 is outside 0–1000000000');
    expect(numberProblem({ type: 'error', code: 'MUTED', message: '', retry: -1 })).to.equal('retry -1 is outside 0–86400');
    expect(numberProblem({ type: 'hello', server: 's', version: '1', guests: false, maxBody: 0 })).to.equal('maxBody 0 is outside 1–9007199254740991');
  });
});
