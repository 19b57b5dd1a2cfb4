/**
 * Group chat, one-shot private messages, and the user list.
 */
import { chatError } from '../../common/errors.js';
import { textProblem } from '../../common/text.js';
import type { Command } from './context.js';
import { bareAnswer } from './private.js';
import { checkSealed } from './secure.js';

/**
 * say (body: text) [group]: a line to the group, or to the private partner while in a session;
 * sealed: a line of an encrypted private session, to the partner only.
 */
export const say: Command<'say'> = {
  login: true,
  limited: true,
  counted: true,
  reads: bareAnswer,
  run(ctx, msg) {
    checkSealed(ctx, msg);
    return ctx.chat.say(ctx.me, msg.text, msg.group, msg.action, msg.sealed);
  },
};

/**
 * dm {to} (body: text): one private message, from `/msg bob text` or `@bob text`. To an account
 * that is not online, it is kept for them (offline delivery); to a name that is no account, an error.
 * Refused at once (not async), so the answers keep the order of the lines: a client of protocol
 * 1 matches them by their order (one of protocol 2 by what each refusal names).
 */
export const dm: Command<'dm'> = {
  login: true,
  limited: true,
  counted: true,
  run({ room, chat, store, me }, msg) {
    if (room.find(msg.to)) return chat.dm(me, msg.to, msg.text, msg.action);
    const account = store.find(msg.to);
    if (!account) throw chatError('NO_SUCH_USER', msg.to, true);
    return chat.leave(me, account.name, msg.text, msg.action);
  },
  refuses: ({ to }) => ({ user: to }),
};

/** away {message}: from `/away gone fishing`; private messages get the away message, once each. */
export const away: Command<'away'> = {
  login: true,
  run({ chat, me }, msg) {
    const message = msg.message.trim() === '' ? 'away' : msg.message;
    // Shown to others as a line of text: the chat text rule applies.
    const problem = textProblem(message);
    if (problem) throw chatError('BAD_TEXT', problem);
    return chat.setAway(me, message);
  },
};

/** back: from `/back`. */
export const back: Command<'back'> = {
  login: true,
  run({ chat, me }) {
    return chat.back(me);
  },
};

/**
 * history {before?, count?}: older group lines, from `/history [N]` (and IRC's `/msg tinychat
 * history`). One short request can be a page of many lines: it counts against the flood limit like
 * a line (on a cluster it goes through the shared log, where the counts are kept). Refused, it
 * still gets the notice that ends a page, which a client paging one request at a time waits for.
 */
export const history: Command<'history'> = {
  login: true,
  limited: true,
  run({ chat, me }, msg) {
    // A page of none, or fewer, is no request: said so, not read as a page of one. More than a
    // page holds is read as a full page (/history 1000 means "as many as you give").
    if (msg.count !== undefined && msg.count < 1) throw chatError('BAD_FIELD', 'count', `must be at least 1 (got ${msg.count})`);
    return chat.historyPage(me, msg.before, msg.count ?? 50);
  },
  whenRefused({ room, me }) {
    room.historyRefused(me);
  },
};

/**
 * received {id}: the batch of offline messages ending at `id` arrived (a client with the
 * `receipts` feature; IRC's PONG to the PING after a batch). Not counted against the flood limit:
 * each one answers a batch the server chose to send, and any other is refused (RECEIPT_UNEXPECTED).
 */
export const received: Command<'received'> = {
  login: true,
  run({ room, me }, msg) {
    room.received(me, msg.id);
  },
};

/** who: the online list. */
export const who: Command<'who'> = {
  login: true,
  run({ room, me }) {
    room.who(me);
  },
};
