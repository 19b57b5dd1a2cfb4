/**
 * Group chat, one-shot private messages, and the user list.
 */
import { chatError } from '../../common/errors.js';
import type { ClientMessage } from '../../common/protocol.js';
import type { Command } from './context.js';

/** say (body: text) [group]: a line to the group, or to the private partner while in a session. */
export const say: Command<'say'> = {
  login: true,
  limited: true,
  run({ hub, me }, msg: ClientMessage<'say'>) {
    const partner = msg.group ? undefined : hub.partnerOf(me);
    const ts = hub.clock.now();
    hub.stats.totalMessages++;
    if (partner) {
      hub.sendToEach([partner, me], { type: 'msg', from: me.name, ts, scope: 'private', to: partner.name, text: msg.text });
      hub.log.info(`Private line from ${me.name} to ${partner.name} (${msg.text.length} chars)`);
      return;
    }
    hub.broadcast({ type: 'msg', from: me.name, ts, scope: 'group', text: msg.text });
    // JSON-quoted: a newline in the text must not be able to forge a log line.
    hub.log.info(`Group message from ${me.name}: ${JSON.stringify(msg.text)}`);
  },
};

/** dm {to} (body: text): one private message, from `/msg bob text` or `@bob text`. */
export const dm: Command<'dm'> = {
  login: true,
  limited: true,
  run({ hub, me, conn }, msg) {
    const target = hub.find(msg.to);
    if (!target) return conn.sendError(chatError('NO_SUCH_USER', msg.to));
    hub.stats.totalMessages++;
    const line = { type: 'msg', from: me.name, ts: hub.clock.now(), scope: 'private', to: target.name, text: msg.text } as const;
    hub.sendToEach(target === me ? [me] : [target, me], line);
    hub.log.info(`Private message from ${me.name} to ${target.name} (${msg.text.length} chars)`);
  },
};

/** A who reply must fit one frame header (64 KiB): 1,000 names of at most 32 characters do. */
const WHO_MAX = 1000;

/** who: the online list. */
export const who: Command<'who'> = {
  login: true,
  run({ hub, conn }) {
    conn.send({ type: 'who', online: hub.online().slice(0, WHO_MAX), count: hub.count });
  },
};
