import { expect } from 'chai';
import { makeClientConfig, type ClientConfig } from '../../client/config.js';
import { Credentials, NO_PASSWORD } from '../../client/login.js';
import type { ErrorCode } from '../../common/errors.js';
import type { ServerMessage } from '../../common/protocol.js';
import { FakeUi } from './fake-ui.js';

const error = (code: ErrorCode, message = ''): ServerMessage<'error'> => ({ type: 'error', code, message });

function dialogue(config: Partial<ClientConfig>, answers: string[] = [], interactive = true) {
  const ui = new FakeUi(answers, interactive);
  const complaints: string[] = [];
  return { ui, complaints, creds: new Credentials(makeClientConfig(config), ui, (t) => complaints.push(t)) };
}

describe('client/login', () => {
  it('asks for the name, then the password, when neither was given', async () => {
    const { ui, creds } = dialogue({}, ['alice', 'pw']);
    expect(await creds.login()).to.deep.equal({ type: 'login', user: 'alice', password: 'pw' });
    expect(ui.questions).to.deep.equal(['Username:', 'Password:']);
  });

  it('asks a name the server would refuse again, saying why', async () => {
    const { ui, creds, complaints } = dialogue({ password: 'pw' }, ['b@d name', 'alice']);
    expect(await creds.login()).to.deep.equal({ type: 'login', user: 'alice', password: 'pw' });
    expect(ui.questions).to.deep.equal(['Username:', 'Username:']);
    expect(complaints).to.have.length(1);
  });

  it('never asks for a password without a keyboard', async () => {
    const { ui, creds } = dialogue({ user: 'alice' }, ['my first chat line'], false);
    expect(await creds.login()).to.deep.equal({ fail: NO_PASSWORD });
    expect(ui.questions).to.deep.equal([]);
  });

  it('asks for a typed password again after a wrong one, keeping the name; gives up on one from the command line', async () => {
    const typed = dialogue({ user: 'alice' }, ['wrong', 'right']);
    await typed.creds.login();
    expect(typed.creds.refused(error('BAD_PASSWORD'))).to.equal(true);
    expect(await typed.creds.login()).to.deep.equal({ type: 'login', user: 'alice', password: 'right' });
    expect(typed.ui.questions).to.deep.equal(['Password:', 'Password:']);
    const given = dialogue({ user: 'alice', password: 'wrong' });
    await given.creds.login();
    expect(given.creds.refused(error('BAD_PASSWORD'))).to.equal(false);
  });

  it('asks for a password, not a name, after a refused guest login', async () => {
    for (const refusal of [error('GUESTS_DISABLED'), error('NAME_IN_USE', 'bob is a registered account; give its password, or pick another name')]) {
      const { ui, creds } = dialogue({ user: 'bob', password: '' }, ['pw']);
      await creds.login();
      expect(creds.refused(refusal), refusal.code).to.equal(true);
      expect(await creds.login()).to.deep.equal({ type: 'login', user: 'bob', password: 'pw' });
      expect(ui.questions, refusal.code).to.deep.equal(['Password:']);
    }
    const piped = dialogue({ user: 'bob', password: '' }, [], false);
    await piped.creds.login();
    expect(piped.creds.refused(error('GUESTS_DISABLED'))).to.equal(false);
  });

  it('starts again from the name after any other refusal, unless nothing was typed', async () => {
    const { ui, creds } = dialogue({}, ['alice', 'pw', 'alice2', 'pw2']);
    await creds.login();
    expect(creds.refused(error('ALREADY_LOGGED_IN'))).to.equal(true);
    expect(await creds.login()).to.deep.equal({ type: 'login', user: 'alice2', password: 'pw2' });
    expect(ui.questions).to.deep.equal(['Username:', 'Password:', 'Username:', 'Password:']);
    // A registration that found the name in use (registered a moment before): another name.
    const raced = dialogue({}, ['alice', 'pw', 'alice3', 'pw3']);
    await raced.creds.login();
    expect(raced.creds.refused(error('NAME_IN_USE', 'alice was just registered from another connection; log in with its password or pick another name'))).to.equal(true);
    expect(await raced.creds.login()).to.deep.equal({ type: 'login', user: 'alice3', password: 'pw3' });
    const scripted = dialogue({ user: 'alice', password: 'pw' });
    await scripted.creds.login();
    expect(scripted.creds.refused(error('ALREADY_LOGGED_IN'))).to.equal(false);
  });
});
