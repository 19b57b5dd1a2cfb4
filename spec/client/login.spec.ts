import { expect } from 'chai';
import { makeClientConfig, type ClientConfig } from '../../client/config.js';
import { Credentials, NO_PASSWORD, NO_USERNAME, countdown } from '../../client/login.js';
import type { ErrorCode } from '../../common/errors.js';
import type { ServerMessage } from '../../common/protocol.js';
import { FakeClock } from '../support/fake-clock.js';
import { FakeUi } from './fake-ui.js';

const error = (code: ErrorCode, message = '', retry?: number): ServerMessage<'error'> => ({ type: 'error', code, message, ...(retry ? { retry } : {}) });

function dialogue(config: Partial<ClientConfig>, answers: string[] = [], interactive = true) {
  const ui = new FakeUi(answers, interactive);
  const complaints: string[] = [];
  const said: string[] = [];
  const clock = new FakeClock();
  const creds = new Credentials(makeClientConfig(config), ui, { clock, complain: (t) => complaints.push(t), inform: (t) => said.push(t) });
  return { ui, complaints, said, clock, creds };
}

/** Lets the promises that a clock's timers settled run their continuations. */
const settled = () => new Promise((r) => setImmediate(r));

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

  it('starts again from a typed name after a refusal of the name, saying so; gives up on a name from --user', async () => {
    const { ui, creds, said } = dialogue({}, ['alice', 'pw', 'alice2', 'pw2']);
    await creds.login();
    expect(creds.refused(error('NAME_IN_USE'))).to.equal(true);
    expect(await creds.login()).to.deep.equal({ type: 'login', user: 'alice2', password: 'pw2' });
    expect(ui.questions).to.deep.equal(['Username:', 'Password:', 'Username:', 'Password:']);
    expect(said).to.deep.equal(['Choose another username.']);
    // The name came with --user: never a Username: question after the Password: one.
    for (const code of ['ALREADY_LOGGED_IN', 'NAME_IN_USE'] as const) {
      const given = dialogue({ user: 'alice' }, ['pw', 'alice2']);
      await given.creds.login();
      expect(given.creds.refused(error(code)), code).to.equal(false);
      expect(given.ui.questions, code).to.deep.equal(['Password:']);
    }
    // A registration that found the name in use (registered a moment before): another name.
    const raced = dialogue({}, ['alice', 'pw', 'alice3', 'pw3']);
    await raced.creds.login();
    expect(raced.creds.refused(error('NAME_IN_USE', 'alice was just registered from another connection; log in with its password or pick another name'))).to.equal(true);
    expect(await raced.creds.login()).to.deep.equal({ type: 'login', user: 'alice3', password: 'pw3' });
    const scripted = dialogue({ user: 'alice', password: 'pw' });
    await scripted.creds.login();
    expect(scripted.creds.refused(error('ALREADY_LOGGED_IN'))).to.equal(false);
  });

  it('says what to do when the name is online already: log out there, or wait for the server to end a session gone silent', async () => {
    const advice = [
      'Another client is logged in as alice; log out there to use this one.',
      'If that client is gone (asleep, network lost), the server ends its session after its heartbeat timeout, 20 s by default: try again then.',
    ];
    // From --user and CHAT_PASSWORD: the client gives up, with the advice.
    const given = dialogue({ user: 'alice', password: 'pw' });
    await given.creds.login();
    expect(given.creds.refused(error('ALREADY_LOGGED_IN', 'alice is already logged in'))).to.equal(false);
    expect(given.said).to.deep.equal(advice);
    // Typed: the advice, then the name is asked again (the same one may be typed once it is free).
    const typed = dialogue({}, ['alice', 'pw', 'alice', 'pw']);
    await typed.creds.login();
    expect(typed.creds.refused(error('ALREADY_LOGGED_IN', 'alice is already logged in'))).to.equal(true);
    expect(await typed.creds.login()).to.deep.equal({ type: 'login', user: 'alice', password: 'pw' });
    expect(typed.said).to.deep.equal([...advice, 'Choose another username.']);
    // Other refusals of the name get none of it.
    const taken = dialogue({ user: 'alice', password: '' });
    await taken.creds.login();
    taken.creds.refused(error('NAME_IN_USE'));
    expect(taken.said).to.deep.equal([]);
  });

  it('after too many failed logins, waits the seconds the server names, counting down, then asks for the password again, keeping the name', async () => {
    for (const config of [{ user: 'alice' }, {}]) {
      const typed = Object.keys(config).length === 0 ? ['alice'] : [];
      const { ui, creds, said, clock } = dialogue(config, [...typed, 'pw1', 'pw2']);
      await creds.login();
      expect(creds.refused(error('LOGIN_THROTTLED', 'too many failed logins; try again in 3 s', 3))).to.equal(true);
      let login: unknown = null;
      void creds.login().then((l) => (login = l));
      await settled();
      expect(said).to.deep.equal(['Waiting 3 s before asking for the password again; Ctrl-C quits.']);
      expect(ui.statuses).to.deep.equal(['password again in 3 s (Ctrl-C quits)']);
      clock.advance(2999);
      await settled();
      expect(login).to.equal(null);
      expect(ui.questions).to.deep.equal([...typed.map(() => 'Username:'), 'Password:']);
      clock.advance(1);
      await settled();
      expect(login).to.deep.equal({ type: 'login', user: 'alice', password: 'pw2' });
      expect(ui.questions).to.deep.equal([...typed.map(() => 'Username:'), 'Password:', 'Password:']);
      expect(ui.statuses).to.deep.equal(['password again in 3 s (Ctrl-C quits)', 'password again in 2 s (Ctrl-C quits)', 'password again in 1 s (Ctrl-C quits)', null]);
      expect(clock.pending()).to.equal(0);
    }
  });

  it('after any refusal that blames neither answer, keeps the name and asks the typed password again (at once without a wait)', async () => {
    for (const code of ['REGISTRATIONS_THROTTLED', 'SERVER_BUSY', 'STORE_FAILED'] as const) {
      const { ui, creds, said } = dialogue({ user: 'newbie' }, ['pw1', 'pw2']);
      await creds.login();
      expect(creds.refused(error(code)), code).to.equal(true);
      expect(await creds.login(), code).to.deep.equal({ type: 'login', user: 'newbie', password: 'pw2' });
      expect(ui.questions, code).to.deep.equal(['Password:', 'Password:']);
      expect(said, code).to.deep.equal([]);
    }
  });

  it('gives up on a throttled login whose password was not typed, or without a keyboard', async () => {
    const given = dialogue({ user: 'alice', password: 'pw' });
    await given.creds.login();
    expect(given.creds.refused(error('LOGIN_THROTTLED', 'too many failed logins; try again in 54 s', 54))).to.equal(false);
    const typedName = dialogue({ password: 'pw' }, ['alice']);
    await typedName.creds.login();
    expect(typedName.creds.refused(error('LOGIN_THROTTLED', 'too many failed logins; try again in 54 s', 54))).to.equal(false);
    expect(typedName.ui.questions).to.deep.equal(['Username:']);
    const piped = dialogue({ user: 'alice', password: 'pw' }, [], false);
    await piped.creds.login();
    expect(piped.creds.refused(error('REGISTRATIONS_THROTTLED', 'too many new accounts from your address; try again in 60 s', 60))).to.equal(false);
  });

  it('never takes a line of input for the name without a keyboard', async () => {
    const { ui, creds } = dialogue({ password: 'pw' }, ['hi'], false);
    expect(await creds.login()).to.deep.equal({ fail: NO_USERNAME });
    expect(ui.questions).to.deep.equal([]);
  });

  it('countdown: ticks each whole second from the start down to 0, and resolves at 0', async () => {
    const clock = new FakeClock();
    const ticks: number[] = [];
    let done = false;
    void countdown(clock, 2.5, (left) => ticks.push(left)).then(() => (done = true));
    clock.advance(2000);
    await settled();
    expect([ticks, done]).to.deep.equal([[3, 2, 1], false]);
    clock.advance(1000);
    await settled();
    expect([ticks, done]).to.deep.equal([[3, 2, 1, 0], true]);
    const none: number[] = [];
    await countdown(clock, 0, (left) => none.push(left));
    expect(none).to.deep.equal([0]);
  });
});
