/**
 * The command table and the one dispatcher. Validation of the frame has already happened in the
 * codec; here, once for every message: the login gate, what a message stands for, the flood
 * limit, the count, and error containment (a refusal is answered to the caller; a handler that
 * throws anything else closes its own connection, never the server).
 */
import { ChatError, chatError, errorMessage } from '../../common/errors.js';
import type { ClientMessage } from '../../common/protocol.js';
import type { LineKind } from '../counters.js';
import { login, logout, resume } from './auth.js';
import { away, back, dm, history, received, say, who } from './chat.js';
import type { Caller, Command, CommandTable, Services, UserCtx } from './context.js';
import { file_ack, file_answer, file_cancel, file_chunk, file_done, file_offer } from './files.js';
import { pm_answer, pm_exit, pm_request } from './private.js';
import { pm_rekey } from './secure.js';

export const COMMANDS: CommandTable = {
  login, resume, logout, say, dm, who, history, received, away, back, pm_request, pm_answer, pm_exit, pm_rekey,
  file_offer, file_answer, file_chunk, file_ack, file_done, file_cancel,
};

/** A counted message's kind of line: a say goes to the partner while in a private session. */
function lineKind(msg: ClientMessage, inPrivate: boolean): LineKind {
  if (msg.type === 'dm') return 'dm';
  return msg.type === 'say' && !msg.group && inPrivate ? 'private' : 'group';
}

export async function dispatch(services: Services, caller: Caller, received: ClientMessage): Promise<void> {
  const outcome = await handle(services, caller, received);
  const { log } = services;
  if (log.debugging) log.debug(`Handled ${received.type} from ${caller.label}: ${outcome}`);
}

/** Handles one message; says how it went, for the debug log: done, refused (the code), or why not. */
async function handle(services: Services, caller: Caller, received: ClientMessage): Promise<string> {
  const { room, counters, replies } = services;
  let msg = received;
  let command = COMMANDS[msg.type] as Command<typeof msg.type>;
  let ctx: UserCtx | undefined;
  try {
    if (!command.login) {
      await command.run({ ...services, caller }, msg as never);
      return 'done';
    }
    // A caller has a user once its login is done (Room.login, Room.resume bind it).
    const me = caller.user === null ? undefined : room.byKey(caller.user);
    if (!me || me.at !== caller) throw chatError('NOT_LOGGED_IN');
    ctx = { ...services, caller, me };
    const meant = command.reads?.(ctx, msg as never);
    if (meant) {
      msg = meant;
      command = COMMANDS[msg.type] as Command<typeof msg.type>;
    }
    if (!command.login) throw new Error(`${received.type} stands for ${msg.type}, which needs no login`);
    // When the line came in, for the metrics' arrival-to-last-write time (0 while nobody times).
    const arrived = command.counted ? counters.arrival() : 0;
    // Refused at once, on a cluster too (a mute known here refuses; the rest is counted where
    // the change is applied), so a connection's pipelined messages keep their order. Refused at
    // once is thrown, and answered below as every refusal is: naming what it refuses (its type,
    // and what `refuses` says: see Refused).
    const outcome = command.limited ? services.chat.withinLimit(me, () => command.run(ctx!, msg as never)) : command.run(ctx, msg as never);
    if ((await outcome) === false) {
      command.whenRefused?.(ctx, msg as never);
      // Told MUTED where it was counted: logged as a refusal at once is.
      return 'refused (MUTED)';
    }
    if (command.counted) counters.line(lineKind(msg, room.privates.partnerOf(me) !== undefined), arrived);
    return msg === received ? 'done' : `done as ${msg.type}`;
  } catch (e) {
    if (e instanceof ChatError) {
      replies.reply(caller, errorMessage(e, command.login ? { re: msg.type, ...command.refuses?.(msg as never) } : undefined));
      if (ctx && command.login) command.whenRefused?.(ctx, msg as never);
      return `refused (${e.code})`;
    }
    services.log.error(`Error handling ${msg.type} from ${caller.label}: ${(e as Error).stack ?? e}`);
    replies.reply(caller, errorMessage(chatError('INTERNAL')));
    caller.close('internal error');
    return 'internal error';
  }
}
