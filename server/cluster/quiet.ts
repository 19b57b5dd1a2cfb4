/**
 * What a server applies while it catches up with the cluster (the log from the last checkpoint,
 * before it serves anyone) happened before it started: logins, lines, servers gone. Logged as it
 * is applied, each would read as news in this server's log, stamped now, with a false WARN or two
 * ("went offline: their server is gone") at every start. So the room and the replica log through
 * a Quiet switch: while it is on, their info and warn lines become debug lines marked as caught
 * up, and the catch-up logs one line of its own (see SharedLog.catchUp). Errors stay errors: a
 * failure while catching up is news now.
 */
import type { Logger } from '../logger.js';

export class Quiet {
  /** Whether the events being applied are old (the server is catching up). */
  on = false;

  /** `log`, whose info and warn lines are debug lines while the switch is on. */
  wrap(log: Logger): Logger {
    const old = (m: string) => {
      if (log.debugging) log.debug(`(caught up) ${m}`);
    };
    return {
      debug: (m) => log.debug(m),
      debugging: log.debugging,
      info: (m) => (this.on ? old(m) : log.info(m)),
      warn: (m) => (this.on ? old(m) : log.warn(m)),
      error: (m) => log.error(m),
      for: (category) => this.wrap(log.for(category)),
      reopen: () => log.reopen(),
      close: () => log.close(),
    };
  }
}
