/**
 * Consent-based private sessions (seed 002): ask, answer, leave. The rules are the room's
 * (server/chat/private.ts); these read the request.
 */
import { yesOrNo } from '../../common/answer.js';
import { foldName } from '../../common/names.js';
import type { ClientMessage } from '../../common/protocol.js';
import type { Command, UserCtx } from './context.js';
import { mustBeSomeone } from './recipient.js';
import { answerKey, requestKey } from './secure.js';

/**
 * pm_request {to, key?, plain?}: from `@PM bob`; asks bob "alice wants a private chat with you
 * (Y/N)?". With a key, an end-to-end encrypted one (see secure.ts).
 */
export const pm_request: Command<'pm_request'> = {
  login: true,
  limited: true,
  run(ctx, msg) {
    mustBeSomeone(ctx, msg.to);
    return ctx.chat.pmRequest(ctx.me, msg.to, requestKey(msg));
  },
  refuses: ({ to }) => ({ user: to }),
};

/** pm_answer {from?, accept, key?}: Y/N (oldest request), or `/accept NAME`, `/reject NAME`. */
export const pm_answer: Command<'pm_answer'> = {
  login: true,
  run({ chat, me }, msg) {
    const { from, accept } = msg;
    return chat.pmAnswer(me, from === undefined ? undefined : foldName(from), accept, from, answerKey(msg));
  },
};

/**
 * Seed 002: a bare Y or N said to the group (the rule is common/answer.ts) answers the oldest
 * pending private-chat request, if there is one. It then is that pm_answer, not chatter: it is
 * not counted against the flood limit, so a muted user can still say Y or N.
 */
export function bareAnswer({ room, me }: UserCtx, msg: ClientMessage<'say'>): ClientMessage<'pm_answer'> | null {
  if (msg.group || msg.sealed) return null;
  const accept = yesOrNo(msg.text);
  if (accept === null || !room.privates.hasPending(me)) return null;
  return { type: 'pm_answer', accept };
}

/** pm_exit: from `EXIT PM`; ends the private session, the partner is told. */
export const pm_exit: Command<'pm_exit'> = {
  login: true,
  run({ chat, me }) {
    return chat.pmExit(me);
  },
};
