/**
 * The bench in miniature, so it never rots: --quick fanout with --floor starts a fresh server
 * process and the floor relay, runs the real protocol through worker processes, and must account
 * for every line. The figures themselves are not asserted (timing on a shared machine is not a
 * test); that nothing was lost or reordered, and that the report is complete, is.
 */
import { expect } from 'chai';
import net from 'node:net';
import { parseArgs, runBench } from '../../bench/main.js';
import { FIGURES } from '../../bench/report.js';

describe('bench smoke (--quick --floor)', function () {
  this.timeout(20_000);

  it('delivers every line to every client, in order, on the server and on the floor', async () => {
    const config = parseArgs(['--scenario', 'fanout', '--quick', '--floor', '--no-progress']);
    const report = await runBench(config);
    const everyLine = config.clients * config.senders * config.messages;
    expect(everyLine).to.be.greaterThan(0);
    for (const run of [report.real, report.floor!]) {
      expect(run.login.ok, `${run.target} logins`).to.equal(config.clients);
      expect(run.chat!.deliveries, `${run.target} deliveries`).to.equal(everyLine);
      expect(run.chat!.lost, `${run.target} lost`).to.equal(0);
      expect(run.chat!.outOfOrder, `${run.target} out of order`).to.equal(0);
      expect(run.closed, `${run.target} connections closed`).to.deep.equal({});
      expect(run.errors, `${run.target} errors`).to.deep.equal({});
    }
    expect(report.real.server.cpuS).to.be.greaterThan(0);
    for (const key of ['chat.deliveriesPerS', 'chat.p50Ms', 'chat.p99Ms', 'chat.maxMs', 'login.p99Ms', 'server.cpuS', 'server.peakRssMB']) {
      expect(FIGURES.some((f) => f.key === key), key).to.equal(true);
      expect(report.ratios?.[key], `ratio ${key}`).to.be.a('number').and.greaterThan(0);
    }
  });

  it('takes scenario sizes unless told otherwise, and "--json -" as stdout', () => {
    expect(parseArgs(['--scenario', 'paced'])).to.include({ clients: 1000, senders: 10, rate: 200, messages: 200 });
    expect(parseArgs(['--scenario', 'paced', '--rate', '100', '--seconds', '4'])).to.include({ messages: 40 });
    expect(parseArgs(['--json', '-']).json).to.equal('-');
  });

  it('refuses nonsense sizes with a message that names the option', () => {
    expect(() => parseArgs(['--clients', '0'])).to.throw(/--clients 0/);
    expect(() => parseArgs(['--host', '127.0.0.1'])).to.throw(/--host needs --port/);
    expect(() => parseArgs(['--irc', '--scenario', 'idle'])).to.throw(/--irc runs the paced and fanout scenarios/);
    expect(() => parseArgs(['--irc', '--port', '6667'])).to.throw(/paced scenario only/);
  });
});

/**
 * Just enough of an IRC server for the bench's IRC client: registration (001), one channel
 * (JOIN answered with 366), PRIVMSG relayed to every other member, and a PING to each newcomer.
 */
function miniIrc(): Promise<{ server: net.Server; port: number; pongs: () => number }> {
  const members = new Map<net.Socket, string>();
  let pongs = 0;
  const server = net.createServer((socket) => {
    let nick = '*';
    let pending = '';
    socket.on('error', () => {});
    socket.on('close', () => members.delete(socket));
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const [command, target, ...rest] = pending.slice(0, end).split(' ');
        pending = pending.slice(end + 2);
        if (command === 'NICK') nick = target!;
        else if (command === 'USER') socket.write(`:mini 001 ${nick} :Welcome\r\nPING :mini\r\n`);
        else if (command === 'PONG') pongs++;
        else if (command === 'JOIN') {
          members.set(socket, nick);
          socket.write(`:mini 353 ${nick} = ${target} :${nick}\r\n:mini 366 ${nick} ${target} :End of NAMES list\r\n`);
        } else if (command === 'PRIVMSG') {
          const line = `:${nick}!${nick}@127.0.0.1 PRIVMSG ${target} ${rest.join(' ')}\r\n`;
          for (const [other] of members) if (other !== socket) other.write(line);
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, pongs: () => pongs })));
}

describe('bench against an IRC server (--irc)', function () {
  this.timeout(20_000);

  it('registers, joins, and counts every line at every member but its sender', async () => {
    const irc = await miniIrc();
    try {
      const config = parseArgs(['--scenario', 'paced', '--quick', '--irc', '--port', String(irc.port), '--no-progress']);
      expect(config.heartbeat).to.equal(0);
      const report = await runBench(config);
      const sent = report.real.chat!.sent;
      expect(sent).to.equal(config.senders * config.messages).and.greaterThan(0);
      expect(report.real.target).to.equal('irc');
      expect(report.real.login.ok).to.equal(config.clients);
      expect(report.real.chat).to.include({ deliveries: (config.clients - 1) * sent, lost: 0, outOfOrder: 0 });
      expect(report.real.errors).to.deep.equal({});
      expect(irc.pongs()).to.equal(config.clients);
    } finally {
      irc.server.close();
    }
  });
});

describe('bench against its own server over IRC (--irc without --port)', function () {
  this.timeout(30_000);

  it('drives tinychat over its IRC listener: fanout gets every line back with echo-message, paced every line but the sender\'s', async () => {
    const fanout = parseArgs(['--scenario', 'fanout', '--quick', '--irc', '--no-progress']);
    const f = await runBench(fanout);
    expect(f.real.target).to.equal('server-irc');
    expect(f.real.login.ok).to.equal(fanout.clients);
    expect(f.real.chat).to.include({ deliveries: fanout.clients * fanout.senders * fanout.messages, lost: 0, outOfOrder: 0 });
    expect(f.real.errors).to.deep.equal({});
    const paced = parseArgs(['--scenario', 'paced', '--quick', '--irc', '--no-progress']);
    const p = await runBench(paced);
    const sent = p.real.chat!.sent;
    expect(sent).to.be.greaterThan(0);
    expect(p.real.chat).to.include({ deliveries: (paced.clients - 1) * sent, lost: 0, outOfOrder: 0 });
    expect(p.real.closed).to.deep.equal({});
  });
});
