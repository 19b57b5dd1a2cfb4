/**
 * The command table and the one dispatcher. Validation of the frame has already happened in the
 * codec; here, once for every message: the login gate, the text rules, the flood limit, and
 * error containment (a handler that throws closes its own connection, never the server).
 */
import { ChatError, chatError } from '../../common/errors.js';
import type { ClientMessage } from '../../common/protocol.js';
import { textProblem } from '../../common/text.js';
import type { Connection } from '../connection.js';
import { NOTICES } from '../notices.js';
import { login, logout, resume } from './auth.js';
import { dm, say, who } from './chat.js';
import type { Command, CommandTable, Services } from './context.js';
import { asAnswer, pm_answer, pm_exit, pm_request } from './private.js';

export const COMMANDS: CommandTable = { login, resume, logout, say, dm, who, pm_request, pm_answer, pm_exit };

export async function dispatch(services: Services, conn: Connection, received: ClientMessage): Promise<void> {
  const { hub } = services;
  let msg = received;
  let command = COMMANDS[msg.type] as Command<typeof msg.type>;
  try {
    if (!command.login) return await command.run({ ...services, conn }, msg as never);
    // A session is attached only once its connection is logged in (Hub.start, Hub.resume).
    const me = conn.session;
    if (!me) return conn.sendError(chatError('NOT_LOGGED_IN'));
    if ('text' in msg) {
      const problem = textProblem(msg.text);
      if (problem) return conn.sendError(chatError('BAD_TEXT', problem));
    }
    // A bare Y or N while a request waits is its answer (seed 002), not chatter to limit.
    const answer = asAnswer(hub, me, msg);
    if (answer) {
      msg = answer;
      command = COMMANDS.pm_answer as Command<typeof msg.type>;
    }
    if (command.login && command.limited) {
      const verdict = me.limiter.hit(hub.clock.monotonic());
      if (!verdict.ok) {
        if (!verdict.justMuted) return conn.sendError(chatError('MUTED', verdict.secondsLeft).retryIn(verdict.secondsLeft));
        hub.log.warn(`Rate limit: ${me.name} muted for ${hub.config.muteSeconds} s`);
        return hub.notice(me, 'muted', NOTICES.muted(verdict.secondsLeft));
      }
    }
    await command.run({ ...services, conn, me }, msg as never);
  } catch (e) {
    if (e instanceof ChatError) return conn.sendError(e);
    hub.log.error(`Error handling ${msg.type} from ${conn.label}: ${(e as Error).stack ?? e}`);
    conn.sendError(chatError('INTERNAL'));
    conn.close('internal error');
  }
}
