/**
 * The operator's console (seeds 000, 002, 003): its answers, and what it prints on its own.
 */
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { CONSOLE_HELP, attachConsole, consoleCommand, onlineLine } from '../../server/console.js';
import { FakeClock } from '../support/fake-clock.js';
import { startServer, TestClient, type Running } from '../support/harness.js';

describe('console', () => {
  let clock: FakeClock;
  let srv: Running;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    clock = new FakeClock();
    srv = await startServer({ allowGuests: true }, clock);
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await srv.stop();
  });

  const login = async (name: string, password = 'pw') => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    await c.request({ type: 'login', user: name, password }, (m) => m.type === 'login_ok');
    return c;
  };
  const ask = (line: string) => consoleCommand(srv.server, line);

  it('online: lists who is online, sorted, with guests marked and the age of the last heartbeat', async () => {
    expect(ask('online')).to.equal('Online users (0):');
    await login('bob');
    clock.advance(2500);
    await login('Alice');
    await login('Emre', '');
    expect(ask('online')).to.equal(
      [
        'Online users (3):',
        '  Alice: last heartbeat 0.0 s ago',
        '  bob: last heartbeat 2.5 s ago',
        '  Emre (guest): last heartbeat 0.0 s ago',
      ].join('\n'),
    );
  });

  it('stats: active users, open and total connections, total messages', async () => {
    const a = await login('alice');
    const b = await login('bob');
    const idle = await TestClient.connect(srv.port); // connected, never logs in
    clients.push(idle);
    a.send({ type: 'say', text: 'one' });
    a.send({ type: 'say', text: 'two' });
    b.send({ type: 'dm', to: 'alice', text: 'three' });
    a.send({ type: 'say', text: '\u0007' }); // refused: not counted
    await a.error();
    await b.sync();
    b.send({ type: 'logout' });
    await b.whenClosed();
    await a.sync();
    expect(ask('stats')).to.match(
      /^Active users: 1 \| Open connections: 2 \| Total connections: 3 \| Total messages: 3 \| Datagrams accepted: 0, dropped: none$/,
    );
  });

  it('help, and a friendly answer to anything else', () => {
    expect(ask('help')).to.equal('Console commands: online, stats, Terminate server, help');
    expect(ask('nonsense')).to.equal(`Unknown console command "nonsense". ${CONSOLE_HELP}`);
  });

  it('Terminate server (in any case) is the one command with no answer', () => {
    expect(ask('Terminate server')).to.equal(null);
    expect(ask('terminate SERVER')).to.equal(null);
    expect(ask('terminate')).to.not.equal(null);
  });

  it('attached to streams: prints the online list when it changes, answers lines, and terminates on request', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const printed: string[] = [];
    output.on('data', (b: Buffer) => printed.push(...b.toString().split('\n').filter(Boolean)));
    let terminated = 0;
    attachConsole(srv.server, input, output, () => terminated++);

    const a = await login('alice');
    await login('bob');
    a.send({ type: 'logout' });
    await a.whenClosed();
    expect(printed).to.deep.equal(['Online users (1): alice', 'Online users (2): alice, bob', 'Online users (1): bob']);

    const answered = new Promise((r) => output.once('data', r));
    input.write('  help  \n\n');
    await answered;
    expect(printed.at(-1)).to.equal(CONSOLE_HELP);
    const done = new Promise<void>((r) => input.once('end', () => setImmediate(r)));
    input.end('Terminate server\n');
    await done;
    expect(terminated).to.equal(1);
    // Neither the blank line nor Terminate server printed anything.
    expect(printed.at(-1)).to.equal(CONSOLE_HELP);
    expect(printed.filter((l) => l === CONSOLE_HELP)).to.have.length(1);
  });

  it('names at most 50 users in the online line', () => {
    const names = Array.from({ length: 52 }, (_, i) => `u${i}`);
    expect(onlineLine(names)).to.equal(`Online users (52): ${names.slice(0, 50).join(', ')} and 2 more`);
    expect(onlineLine([])).to.equal('Online users (0): (none)');
  });
});
