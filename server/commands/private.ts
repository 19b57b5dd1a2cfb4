/**
 * Consent-based private sessions (seed 002): ask, answer, leave.
 */
import { chatError } from '../../common/errors.js';
import { foldName } from '../../common/names.js';
import type { ClientMessage } from '../../common/protocol.js';
import type { Hub } from '../hub.js';
import { NOTICES } from '../notices.js';
import type { Session } from '../session.js';
import type { Command } from './context.js';

/** pm_request {to}: from `@PM bob`; asks bob "alice wants a private chat with you (Y/N)?". */
export const pm_request: Command<'pm_request'> = {
  login: true,
  limited: true,
  run({ hub, me, conn }, msg) {
    const target = hub.find(msg.to);
    if (!target) return conn.sendError(chatError('NO_SUCH_USER', msg.to));
    const refusal = hub.consent.request(me.key, target.key, hub.clock.monotonic());
    if (refusal) return conn.sendError(chatError(refusal.error, hub.display(refusal.user)));
    hub.log.info(`User ${me.name} requested a private chat with ${target.name}`);
    hub.notice(me, 'pm_sent', NOTICES.pm_sent(target.name), target.name);
    hub.notice(target, 'pm_invite', NOTICES.pm_invite(me.name), me.name);
  },
};

/** pm_answer {from?, accept}: Y/N (oldest request), or `/accept NAME`, `/reject NAME`. */
export const pm_answer: Command<'pm_answer'> = {
  login: true,
  run({ hub, me, conn }, { from, accept }) {
    const result = hub.consent.answer(me.key, from === undefined ? undefined : foldName(from), accept);
    if ('error' in result) return conn.sendError(chatError('PM_NO_REQUEST', from));
    const asker = hub.byKey(result.request.from);
    const askerName = hub.display(result.request.from);
    if (!accept) {
      hub.log.info(`${me.name} refused the private chat request from ${askerName}`);
      hub.notice(me, 'pm_refused', NOTICES.pm_you_refused(askerName), askerName);
      if (asker) hub.notice(asker, 'pm_refused', NOTICES.pm_refused(me.name), me.name);
      return;
    }
    hub.log.info(`Private chat started between ${askerName} and ${me.name}`);
    if (asker) hub.notice(asker, 'pm_started', NOTICES.pm_started(me.name), me.name);
    hub.notice(me, 'pm_started', NOTICES.pm_started(askerName), askerName);
    hub.tellCancelled(result.cancelled, new Set([me.key, result.request.from]));
  },
};

/**
 * Seed 002: a bare Y or N (not a group line) answers the oldest pending private-chat request, if
 * there is one. The dispatcher turns it into that pm_answer, so it is not counted as chatter: a
 * muted user can still say Y or N.
 */
export function asAnswer(hub: Hub, me: Session, msg: ClientMessage): ClientMessage<'pm_answer'> | null {
  if (msg.type !== 'say' || msg.group) return null;
  const yn = /^\s*([yn])\s*$/i.exec(msg.text);
  if (!yn || hub.consent.pendingFor(me.key).length === 0) return null;
  return { type: 'pm_answer', accept: yn[1]!.toLowerCase() === 'y' };
}

/** pm_exit: from `EXIT PM`; ends the private session, the partner is told. */
export const pm_exit: Command<'pm_exit'> = {
  login: true,
  run({ hub, me, conn }) {
    const partnerKey = hub.consent.end(me.key);
    if (partnerKey === undefined) return conn.sendError(chatError('PM_NOT_IN'));
    const name = hub.display(partnerKey);
    hub.log.info(`Private chat between ${me.name} and ${name} closed by ${me.name}`);
    hub.notice(me, 'pm_ended', NOTICES.pm_left(name), name);
    const partner = hub.byKey(partnerKey);
    if (partner) hub.notice(partner, 'pm_ended', NOTICES.pm_ended(me.name), me.name);
  },
};
