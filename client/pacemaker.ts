/**
 * The heartbeats of each login: started (or moved to the new session) when login_ok arrives, at
 * the pace this server needs, and the line that says when that is not the pace the user asked for.
 */
import type { ServerMessage } from '../common/protocol.js';
import type { ClientConfig } from './config.js';
import type { DisplayLine, Formatter } from './format.js';
import { heartbeatPace, type HeartbeatSender } from './heartbeat.js';

export class Pacemaker {
  /** The heartbeat interval the user was last told a server needed instead of theirs (seconds). */
  private paceSaid: number | null = null;

  constructor(
    private readonly sender: HeartbeatSender,
    private readonly fmt: Formatter,
    private readonly config: Pick<ClientConfig, 'heartbeatInterval' | 'udpPort'>,
  ) {}

  /**
   * Heartbeats go to `host`, the address this login's connection reached, not to the host name:
   * the name is resolved once, by the connection, and UDP goes to the same server (and address
   * family). They go often enough for this server's timeout, whatever --heartbeat-interval says:
   * an interval that would have the user marked offline is no choice anyone makes knowingly. The
   * line that says so, once per pace.
   */
  start(m: ServerMessage<'login_ok'>, host: string): DisplayLine[] {
    const port = this.config.udpPort ?? m.udpPort;
    if (port === undefined || m.session === undefined || m.secret === undefined) return [];
    const asked = this.config.heartbeatInterval;
    const pace = heartbeatPace(asked, m.timeout);
    this.sender.start({ host, port, session: m.session, secret: Buffer.from(m.secret, 'base64') }, pace.seconds * 1000);
    if (!pace.tooSlow || this.paceSaid === pace.seconds) return [];
    this.paceSaid = pace.seconds;
    const s = (n: number) => String(Number(n.toFixed(2)));
    return [this.fmt.info(`Heartbeats every ${s(asked)} s (--heartbeat-interval) are too far apart for this server, which marks you offline after ${m.timeout} s without one: beating every ${s(pace.seconds)} s instead.`)];
  }

  /** Whether this client itself did not beat for `ms` lately (stopped, or asleep: see HeartbeatSender.stalled). */
  stalled(ms: number): boolean {
    return this.sender.stalled(ms);
  }

  /** Stops the heartbeats for good (logout, exit). Safe to call twice. */
  stop(): void {
    this.sender.stop();
  }
}
