/**
 * Group chat, one-shot private messages, and the user list.
 */
import { chatError } from '../../common/errors.js';
import type { ClientMessage } from '../../common/protocol.js';
import type { Command, UserCtx } from './context.js';
import { answer } from './private.js';

/** say (body: text) [group]: a line to the group, or to the private partner while in a session. */
export const say: Command<'say'> = {
  login: true,
  // Answering a request is not chatter: a muted user can still say Y or N.
  limited: (ctx, msg) => yesOrNo(ctx, msg) === null,
  run(ctx: UserCtx, msg: ClientMessage<'say'>) {
    const { hub, me } = ctx;
    const yn = yesOrNo(ctx, msg);
    if (yn !== null) return answer(ctx, undefined, yn);
    const partner = msg.group ? undefined : hub.partnerOf(me);
    const ts = hub.clock.now();
    hub.stats.totalMessages++;
    if (partner) {
      const line = { type: 'msg', from: me.name, ts, scope: 'private', to: partner.name, text: msg.text } as const;
      hub.sendTo(partner, line);
      hub.sendTo(me, line);
      hub.log.info(`Private line from ${me.name} to ${partner.name} (${msg.text.length} chars)`);
      return;
    }
    hub.broadcast({ type: 'msg', from: me.name, ts, scope: 'group', text: msg.text });
    // JSON-quoted: a newline in the text must not be able to forge a log line.
    hub.log.info(`Group message from ${me.name}: ${JSON.stringify(msg.text)}`);
  },
};

/** Seed 002: a bare Y or N answers the oldest pending private-chat request, if there is one. */
function yesOrNo({ hub, me }: UserCtx, msg: ClientMessage<'say'>): boolean | null {
  const yn = /^\s*([yn])\s*$/i.exec(msg.text);
  if (!yn || msg.group || hub.consent.pendingFor(me.key).length === 0) return null;
  return yn[1]!.toLowerCase() === 'y';
}

/** dm {to} (body: text): one private message, from `/msg bob text` or `@bob text`. */
export const dm: Command<'dm'> = {
  login: true,
  limited: true,
  run({ hub, me, conn }, msg) {
    const target = hub.find(msg.to);
    if (!target) return conn.sendError(chatError('NO_SUCH_USER', msg.to));
    hub.stats.totalMessages++;
    const line = { type: 'msg', from: me.name, ts: hub.clock.now(), scope: 'private', to: target.name, text: msg.text } as const;
    hub.sendTo(target, line);
    if (target !== me) hub.sendTo(me, line);
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
