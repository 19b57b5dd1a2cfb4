/**
 * A simulated user of an IRC server (`npm run bench -- --irc`): the same workload and the same
 * counting as BenchClient, over IRC, so a C daemon such as ngircd and tinychat's own IRC listener
 * can be measured on the same machine with the same load generator. Registration is NICK and USER
 * (with PASS, the account's password, for tinychat); the login counts as done when the server has
 * sent the channel's names list (numeric 366). Lines are PRIVMSGs to the one channel. IRC does not
 * echo a line to its sender, so a sender expects every line but its own, and against a daemon only
 * paced runs make sense (the closed loop waits for echoes); tinychat echoes on request
 * (echo-message), which lets the closed loop (fanout) run over IRC too.
 */
import type net from 'node:net';
import { LoadClient, type Tally } from './client.js';
import type { ClientSpec } from './ipc.js';

/** The one channel (tinychat is started with --irc-channel set to it). */
export const IRC_CHANNEL = '#bench';

/** Replies that end a registration: nickname refused or in use, or the server closing on us. */
const REFUSALS = new Set(['432', '433', '436', '437', '464', '465', '471', '473', '474', '475', '904']);

export class IrcBenchClient extends LoadClient {
  readonly echoes: boolean;
  /** Received text not yet ending in CRLF. */
  private pending = '';

  /** `account`: log in with the spec's password (tinychat), asking for echo-message if `echo`. */
  constructor(
    spec: ClientSpec,
    senders: number,
    tally: Tally,
    private readonly account?: { echo: boolean },
  ) {
    super(spec, senders, tally);
    this.echoes = account?.echo ?? false;
  }

  say(text: string): void {
    this.socket?.write(`PRIVMSG ${IRC_CHANNEL} :${text}\r\n`);
  }

  protected greet(socket: net.Socket): void {
    const nick = this.spec.name;
    const register = `NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`;
    if (!this.account) return void socket.write(register);
    const [capReq, capEnd] = this.echoes ? ['CAP REQ :echo-message\r\n', 'CAP END\r\n'] : ['', ''];
    socket.write(`${capReq}PASS ${this.spec.password}\r\n${register}${capEnd}`);
  }

  protected receive(chunk: Buffer, now: number): void {
    const text = this.pending + chunk.toString('latin1');
    let from = 0;
    for (let end = text.indexOf('\r\n'); end >= 0; end = text.indexOf('\r\n', from)) {
      this.message(text.slice(from, end), now);
      from = end + 2;
    }
    this.pending = text.slice(from);
  }

  /** One IRC message: `[:prefix] COMMAND params... [:trailing]`. */
  private message(line: string, now: number): void {
    const withoutPrefix = line.startsWith(':') ? line.slice(line.indexOf(' ') + 1) : line;
    const space = withoutPrefix.indexOf(' ');
    const command = space < 0 ? withoutPrefix : withoutPrefix.slice(0, space);
    const colon = withoutPrefix.indexOf(' :');
    const trailing = colon < 0 ? '' : withoutPrefix.slice(colon + 2);
    switch (command) {
      case 'PRIVMSG':
        return this.line(trailing, now);
      case 'PING':
        this.socket?.write(`PONG :${trailing}\r\n`);
        return;
      case '001': // welcome: registered
        this.socket?.write(`JOIN ${IRC_CHANNEL}\r\n`);
        return;
      case '366': // end of the names list: we are in the channel
        this.settle?.(null);
        return;
      case 'CAP': // the answer to CAP REQ :echo-message
        if (/ NAK /.test(withoutPrefix)) this.settle?.('echo-message refused');
        return;
      case 'ERROR':
        if (this.settle) return this.settle(`ERROR ${trailing}`);
        return this.tally.count(this.tally.errors, `ERROR ${trailing}`);
      default:
        if (REFUSALS.has(command)) {
          if (this.settle) return this.settle(`refused (${command})`);
          this.tally.count(this.tally.errors, `refused (${command})`);
        }
    }
  }
}
