/**
 * The operator's console (seeds 000, 002, 003): its answers, and what it prints on its own.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CONSOLE_HELP, attachConsole, consoleCommand, onlineLine } from '../../server/console.js';
import { FakeClock } from '../support/fake-clock.js';
import { pass } from '../support/heartbeats.js';
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
    expect(ask('help')).to.equal('Console commands: online, stats, kick NAME [reason], mute NAME SECONDS, wall TEXT, motd, Terminate server, help');
    expect(ask('nonsense')).to.equal(`Unknown console command "nonsense". ${CONSOLE_HELP}`);
  });

  it('Terminate server (in any case) is the one command with no answer', () => {
    expect(ask('Terminate server')).to.equal(null);
    expect(ask('terminate SERVER')).to.equal(null);
    expect(ask('  Terminate   server ')).to.equal(null);
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

  it('kick NAME [reason]: the user is told why and logged out, the others are told, and it is logged', async () => {
    const a = await login('alice');
    const b = await login('bob');
    expect(ask('kick')).to.equal('Usage: kick NAME [reason]');
    expect(ask('kick carol')).to.equal('carol is not online');
    // A reason is shown to users as text: the chat's text rule and a length cap apply.
    expect(ask('kick alice bad \u0007 bell')).to.equal('The reason contains control characters (only newline and tab are allowed)');
    expect(ask(`kick alice ${'x'.repeat(901)}`)).to.equal('The reason is too long (901 characters, at most 900)');
    expect(srv.server.room.find('alice'), 'still online after refused kicks').to.not.equal(undefined);
    expect(ask('kick ALICE flooding the room')).to.equal('Kicked alice: flooding the room');
    expect(await a.next((m) => m.type === 'bye')).to.deep.include({ reason: 'kicked', message: 'You were removed from the chat by the operator: flooding the room' });
    await a.whenClosed();
    expect(await b.notice('leave')).to.deep.include({ user: 'alice', message: 'alice was removed from the chat by the operator' });
    expect(srv.server.room.find('alice')).to.equal(undefined);
    expect(srv.logs).to.include('INFO Console: Kicked alice: flooding the room');
    expect(srv.logs).to.include('WARN alice was removed by the operator: flooding the room');
    // Without a reason, and a guest too.
    await login('Emre', '');
    expect(ask('kick emre')).to.equal('Kicked Emre');
  });

  it('mute NAME SECONDS: refused lines until it ends, kept across a new login, told when over; 0 lifts it', async () => {
    const a = await login('alice');
    expect(ask('mute alice')).to.equal('Usage: mute NAME SECONDS (0 lifts the mute)');
    expect(ask('mute alice soon')).to.equal('Usage: mute NAME SECONDS (0 lifts the mute)');
    expect(ask('mute bob 5')).to.equal('bob is not online');
    expect(ask('mute alice 2592001')).to.equal('Mute for at most 2592000 s (30 days)');
    expect(ask('mute alice 60')).to.equal('Muted alice for 60 s');
    expect(await a.notice('muted')).to.deep.include({ message: 'The operator muted you for 60 s' });
    a.send({ type: 'say', text: 'hello?' });
    expect(await a.error()).to.deep.include({ code: 'MUTED', retry: 60, message: 'the operator muted you; try again in 60 s' });
    // Logging in again does not shed it.
    a.send({ type: 'logout' });
    await a.whenClosed();
    const again = await srv.beating('alice');
    // Heartbeats on the way: the mute, not silence, is what is tested.
    await pass(clock, 30_000, [again.hb]);
    again.send({ type: 'say', text: 'still?' });
    expect(await again.error()).to.deep.include({ code: 'MUTED', retry: 30 });
    await pass(clock, 30_000, [again.hb]);
    expect(await again.notice('unmuted')).to.deep.include({ message: 'You can talk again' });
    again.send({ type: 'say', text: 'free' });
    expect((await again.line()).text).to.equal('free');
    // A new mute, lifted early: told at once, and not told again when the first would have ended.
    expect(ask('mute alice 100')).to.equal('Muted alice for 100 s');
    await again.notice('muted');
    expect(ask('mute alice 0')).to.equal("Lifted the operator's mute of alice");
    await again.notice('unmuted');
    await pass(clock, 100_000, [again.hb]);
    await again.sync();
    expect(again.all('notice').filter((n) => n.event === 'unmuted')).to.have.length(2);
    expect(srv.logs).to.include('INFO Console: Muted alice for 60 s');
    expect(srv.server.room.limits.mutes).to.equal(2);
  });

  it('wall TEXT: a notice from the operator to everyone online', async () => {
    const a = await login('alice');
    const b = await login('bob');
    expect(ask('wall')).to.equal('Usage: wall TEXT');
    expect(ask('wall bad \u0007 bell')).to.equal('The text contains control characters (only newline and tab are allowed)');
    expect(ask(`wall ${'x'.repeat(901)}`)).to.equal('The text is too long (901 characters, at most 900)');
    expect(ask('wall The server restarts at 18:00')).to.equal('Told 2 users: "The server restarts at 18:00"');
    for (const c of [a, b]) expect(await c.notice('wall')).to.deep.include({ message: 'The server restarts at 18:00' });
    expect(srv.logs).to.include('INFO Console: Told 2 users: "The server restarts at 18:00"');
  });

  it('motd: reads the --motd file again; every login gets it right after login_ok', async () => {
    expect(ask('motd')).to.equal('No message of the day: the server was started without --motd');
    const file = join(srv.dir, 'motd.txt');
    srv.server.config.motd = file;
    writeFileSync(file, 'Welcome!\nBe kind.\n\n');
    expect(ask('motd')).to.equal(`Message of the day reloaded from ${file} (17 characters)`);
    const a = await login('alice');
    const firstAfterLogin = a.received[a.received.findIndex((m) => m.type === 'login_ok') + 1];
    expect(firstAfterLogin).to.deep.include({ type: 'notice', event: 'motd', message: 'Welcome!\nBe kind.' });
    writeFileSync(file, 'bad \u001b[2J\n');
    expect(ask('motd')).to.match(/^Message of the day not reloaded: --motd file .* contains control characters.*; the old one stays$/);
    writeFileSync(file, 'Second edition');
    expect(ask('motd')).to.equal(`Message of the day reloaded from ${file} (14 characters)`);
    expect(await (await login('bob')).notice('motd')).to.deep.include({ message: 'Second edition' });
    writeFileSync(file, '\n');
    expect(ask('motd')).to.equal(`Message of the day reloaded from ${file}: empty, none is shown`);
    const c = await login('carol');
    await c.sync();
    expect(c.all('notice').filter((n) => n.event === 'motd')).to.deep.equal([]);
    expect(srv.logs.filter((l) => l.startsWith('INFO Console: Message of the day'))).to.have.length(4);
  });

  it('names at most 50 users in the online line', () => {
    const names = Array.from({ length: 52 }, (_, i) => `u${i}`);
    expect(onlineLine(names)).to.equal(`Online users (52): ${names.slice(0, 50).join(', ')} and 2 more`);
    expect(onlineLine([])).to.equal('Online users (0): (none)');
  });
});
