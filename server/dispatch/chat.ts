/**
 * Group chat, one-shot private messages, and the user list.
 */
import type { Command } from './context.js';
import { bareAnswer } from './private.js';

/** say (body: text) [group]: a line to the group, or to the private partner while in a session. */
export const say: Command<'say'> = {
  login: true,
  limited: true,
  counted: true,
  reads: bareAnswer,
  run({ room, me }, msg) {
    room.say(me, msg.text, msg.group);
  },
};

/** dm {to} (body: text): one private message, from `/msg bob text` or `@bob text`. */
export const dm: Command<'dm'> = {
  login: true,
  limited: true,
  counted: true,
  run({ room, me }, msg) {
    room.dm(me, msg.to, msg.text);
  },
};

/** who: the online list. */
export const who: Command<'who'> = {
  login: true,
  run({ room, me }) {
    room.who(me);
  },
};
