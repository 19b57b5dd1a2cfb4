import { expect } from 'chai';
import { Unconfirmed } from '../../client/unconfirmed.js';
import { startServer, TestClient, type Running } from '../support/harness.js';
import { waitUntil } from '../support/wait.js';
import { FakeUi } from './fake-ui.js';
import { quietSession } from './quiet-session.js';

const GROUP = { scope: 'group' } as const;
/** A server of protocol 1, which names the user only of a NO_SUCH_USER or MAILBOX_* (see namesRefusals). */
const OLD = false;
/** A server that names the recipient of every private message it refuses (protocol 2). */
const NAMING = true;

describe('client/unconfirmed', () => {
  it('lets an echo confirm the oldest line, and a refusal name it', () => {
    const u = new Unconfirmed();
    u.sent('say', 'one');
    u.sent('say', 'two');
    u.echoed(GROUP);
    expect(u.refused('MUTED', undefined, OLD)).to.equal('two');
    expect(u.refused('MUTED', undefined, OLD)).to.equal(null);
  });

  it('lets a refusal only a private message can get name only a private message', () => {
    const u = new Unconfirmed();
    u.sent('say', 'hello');
    expect(u.refused('NO_SUCH_USER', undefined, OLD)).to.equal(null); // about something else (a @PM to nobody)
    expect(u.refused('PM_BUSY', undefined, OLD)).to.equal(null);
    u.echoed(GROUP);
    u.sent('dm', 'psst');
    expect(u.refused('NO_SUCH_USER', undefined, OLD)).to.equal('psst');
  });

  it('takes "kept for the offline account" as a private message\'s answer, so a later refusal names the right line', () => {
    const u = new Unconfirmed();
    u.sent('dm', 'offline note', true);
    u.sent('say', 'c1');
    expect(u.kept(), 'the line kept, to be shown').to.deep.equal({ kind: 'dm', text: 'offline note', action: true });
    u.echoed(GROUP); // c1
    u.sent('say', 'c2');
    expect(u.refused('MUTED', undefined, OLD)).to.equal('c2');
    u.sent('say', 'c3');
    expect(u.kept()).to.equal(null); // not about a say: nothing to take
    expect(u.refused('MUTED', undefined, OLD)).to.equal('c3');
  });

  it('names the line for every refusal a chat line can get', () => {
    const u = new Unconfirmed();
    for (const [kind, code] of [['dm', 'MAILBOX_FULL'], ['dm', 'MAILBOX_FAILED'], ['say', 'CLUSTER_DOWN'], ['dm', 'SERVER_BUSY'], ['say', 'E2E_NOT_IN']] as const) {
      u.sent(kind, `${kind} ${code}`);
      expect(u.refused(code, undefined, OLD)).to.equal(`${kind} ${code}`);
    }
    u.sent('say', 'group line');
    expect(u.refused('MAILBOX_FULL', undefined, OLD)).to.equal(null);
    expect(u.refused('MAILBOX_FAILED', undefined, OLD)).to.equal(null);
  });

  it('matches what names a user to the private message to them: a line kept after the echo of the next, and a refusal about someone else', () => {
    const u = new Unconfirmed();
    u.sent('dm', 'for dave', false, 'Dave');
    u.sent('say', 'hello all');
    u.sent('dm', 'for nobody', false, 'nobody');
    u.echoed(GROUP); // "hello all": stored for dave takes a moment, the echo does not
    expect(u.refused('NO_SUCH_USER', 'NOBODY', OLD)).to.equal('for nobody');
    expect(u.refused('NO_SUCH_USER', 'carol', OLD), 'about a request to carol: no line').to.equal(null);
    expect(u.kept('dave')).to.deep.include({ text: 'for dave' });
    u.sent('dm', 'psst', false, 'bob');
    u.sent('say', 'in our private chat');
    u.echoed({ scope: 'private', to: 'bob' });
    u.echoed({ scope: 'private', to: 'bob' });
    expect(u.refused('MUTED', undefined, OLD), 'both echoed').to.equal(null);
  });

  it('from a server that names every refusal of a private message, takes one naming nobody for a group line: a kept message is not shown as refused', () => {
    // Flood limit 2: the /msg to offline bob waits on the mailbox write, "c1" is echoed, "c2" refused.
    const u = new Unconfirmed();
    u.sent('dm', 'for bob', false, 'bob');
    u.sent('say', 'c1');
    u.sent('say', 'c2');
    u.echoed(GROUP);
    expect(u.refused('MUTED', undefined, NAMING), 'the group line, not the older /msg').to.equal('c2');
    expect(u.kept('bob'), 'the /msg kept, to be shown').to.deep.include({ text: 'for bob' });
    // The same answers from an older server: the MUTED can only be taken for the oldest line.
    const old = new Unconfirmed();
    old.sent('dm', 'for bob', false, 'bob');
    old.sent('say', 'c1');
    old.sent('say', 'c2');
    old.echoed(GROUP);
    expect(old.refused('MUTED', undefined, OLD)).to.equal('for bob');
  });

  it('from a naming server, a MUTED naming a user refuses the private message to them, and one naming nobody never a private message', () => {
    const u = new Unconfirmed();
    u.sent('say', 'hello');
    u.sent('dm', 'psst', false, 'Bob');
    expect(u.refused('MUTED', 'bob', NAMING), 'the /msg to bob, not the older group line').to.equal('psst');
    expect(u.refused('MUTED', 'carol', NAMING), 'about a request to carol: no line').to.equal(null);
    u.sent('dm', 'again', false, 'bob');
    expect(u.refused('NO_SUCH_USER', undefined, NAMING), 'a private message\'s refusal naming nobody: not ours').to.equal(null);
    expect(u.refused('MUTED', undefined, NAMING)).to.equal('hello');
    expect(u.refused('MUTED', undefined, NAMING), 'only a private message waits').to.equal(null);
    expect(u.refused('MAILBOX_FULL', 'bob', NAMING)).to.equal('again');
  });

  it('matches a refusal by the type of message it names (re): a @PM\'s leaves the /msg to the same user, a /msg\'s takes it, a say\'s the oldest group line', () => {
    const u = new Unconfirmed();
    u.sent('dm', 'kept for later', false, 'bob');
    u.sent('say', 'hello');
    expect(u.refused('NO_SUCH_USER', 'bob', NAMING, 'pm_request'), 'the @PM\'s: bob is not online').to.equal(null);
    expect(u.refused('MUTED', 'bob', NAMING, 'pm_request'), 'a MUTED for the @PM too').to.equal(null);
    expect(u.refused('MUTED', undefined, NAMING, 'say'), 'the group line, not the older /msg').to.equal('hello');
    expect(u.kept('bob'), 'the /msg kept, to be shown').to.deep.include({ text: 'kept for later' });
    u.sent('dm', 'psst', false, 'Bob');
    expect(u.refused('MUTED', 'bob', NAMING, 'dm')).to.equal('psst');
    u.sent('say', 'y or n?');
    expect(u.refused('PM_NO_REQUEST', undefined, NAMING, 'pm_answer'), 'an answer\'s refusal is no line\'s').to.equal(null);
    expect(u.refused('MUTED', undefined, NAMING, 'history'), 'nor a /history page\'s').to.equal(null);
    expect(u.refused('MUTED', undefined, NAMING, 'say')).to.equal('y or n?');
  });

  it('forgets everything when the connection is lost, and keeps at most 100 lines', () => {
    const u = new Unconfirmed();
    u.sent('say', 'gone');
    u.clear();
    expect(u.refused('MUTED', undefined, OLD)).to.equal(null);
    for (let i = 0; i < 150; i++) u.sent('say', `l${i}`);
    expect(u.refused('MUTED', undefined, OLD)).to.equal('l50');
  });
});

describe('client/unconfirmed on the real server', () => {
  /** bob has an account and is offline; alice's client is logged in, on `srv`. */
  async function aliceWhileBobIsAway(srv: Running): Promise<{ ui: FakeUi; exit: Promise<number> }> {
    const bob = await TestClient.login(srv.port, 'bob');
    bob.send({ type: 'logout' });
    await bob.whenClosed();
    const ui = new FakeUi();
    const { exit } = quietSession(srv.port, ui);
    await ui.waitFor(/Login success!/);
    await waitUntil(() => ui.chat !== null, 'the chat started');
    return { ui, exit };
  }

  it('a /msg kept for an offline account, then two lines, the second muted: the kept one is shown sent, the muted one not delivered', async () => {
    // Flood limit 2: the /msg waits on the mailbox write while "c1" is echoed and "c2" refused.
    const srv = await startServer({ rateCount: 2 });
    try {
      const { ui, exit } = await aliceWhileBobIsAway(srv);
      for (const line of ['/msg bob kept for later', 'c1', 'c2']) ui.chat!.line(line);
      await ui.waitFor(/! not delivered \(muted for sending too fast; try again in \d+ s\): c2$/);
      expect(ui.has(/! you are muted/), 'the refusal is said once, in the not-delivered line').to.equal(false);
      await ui.waitFor(/\[private\] alice -> bob: kept for later$/);
      expect(ui.has(/not delivered.*kept for later/), 'the kept /msg is not called refused').to.equal(false);
      expect(ui.has(/\] alice: c1$/)).to.equal(true);
      ui.chat!.interrupt();
      await exit;
    } finally {
      await srv.stop();
    }
  });

  it('a /msg kept for an offline account, then a @PM to them refused at once: the /msg is shown sent, not refused', async () => {
    const srv = await startServer({});
    try {
      const { ui, exit } = await aliceWhileBobIsAway(srv);
      // The @PM is refused (NO_SUCH_USER, naming bob) while the /msg waits on the mailbox write.
      for (const line of ['/msg bob kept for later', '@PM bob']) ui.chat!.line(line);
      await ui.waitFor(/bob is not online/);
      await ui.waitFor(/\[private\] alice -> bob: kept for later$/);
      expect(ui.has(/not delivered.*kept for later/), 'the kept /msg is not called refused').to.equal(false);
      ui.chat!.interrupt();
      await exit;
    } finally {
      await srv.stop();
    }
  });
});
