/**
 * End-to-end encrypted private sessions (issue 16), as far as the server takes part: it relays
 * the clients' signed keys and sealed lines, which it cannot read, and checks only who may send
 * them to whom. The cryptography is the clients' (client/secure/).
 *
 * A request with a key goes only to a client that said at login it can encrypt; to any other (an
 * IRC user, an older client) it is refused in words, never turned into an unencrypted session.
 * An unencrypted session with such a peer must be asked for as one (`plain`), and the client of
 * the one asked shows it as unencrypted.
 */
import { chatError } from '../../common/errors.js';
import { BUNDLE_KINDS, FEATURES, type ClientMessage, type Feature } from '../../common/protocol.js';
import type { Session } from '../chat/session.js';
import type { Caller, Command, UserCtx } from './context.js';

type BundleKind = keyof typeof BUNDLE_KINDS;

/** Refuses a key bundle that is not of one of `kinds` (its first byte). */
function checkKind(key: string, kinds: readonly BundleKind[]): void {
  const kind = Buffer.from(key, 'base64')[0];
  if (!kinds.some((k) => BUNDLE_KINDS[k] === kind)) throw chatError('E2E_BAD_KEY', `expected a ${kinds.join(' or ')} key`);
}

/**
 * The key a pm_request carries to `target`, if any: an encrypted request to a client that cannot
 * take one is refused, and a request cannot be both encrypted and knowingly plain.
 */
export function requestKey(target: Session<Caller>, msg: ClientMessage<'pm_request'>): string | undefined {
  if (msg.key === undefined) return undefined;
  if (msg.plain) throw chatError('E2E_BAD_KEY', 'an unencrypted request carries no key');
  checkKind(msg.key, ['offer']);
  if (!target.features.has('e2e')) throw chatError('E2E_UNSUPPORTED', target.name);
  return msg.key;
}

/** The key a pm_answer carries back to the asker, if any (only an acceptance has one). */
export function answerKey(msg: ClientMessage<'pm_answer'>): string | undefined {
  if (msg.key === undefined) return undefined;
  if (!msg.accept) throw chatError('E2E_BAD_KEY', 'a refusal carries no key');
  checkKind(msg.key, ['answer']);
  return msg.key;
}

/**
 * A sealed line goes to the partner of a private session whose client can read it, and nowhere
 * else: never to the group (where it would be kept in history), never without a session.
 */
export function checkSealed({ room, me }: UserCtx, msg: ClientMessage<'say'>): void {
  if (!msg.sealed) return;
  const partner = room.privates.partnerOf(me);
  // The action flag of a sealed line is inside it: one in the open says something it should not.
  if (msg.group || msg.action || !partner?.features.has('e2e')) throw chatError('E2E_NOT_IN');
}

/**
 * pm_rekey {key}: new keys for the encrypted private session, after a resume or a restart of
 * this client, or the reply to the partner's; relayed to the partner as a `pm_rekey` notice.
 */
export const pm_rekey: Command<'pm_rekey'> = {
  login: true,
  limited: true,
  run({ chat, me }, msg) {
    checkKind(msg.key, ['rekey', 'restart', 'rekeyReply']);
    return chat.pmRekey(me, msg.key);
  },
};

/**
 * What a login says its client can do (end-to-end encryption, files), kept with its session.
 * Words the server does not know are dropped; a login without them (IRC, an older client) can
 * do neither.
 */
export function knownFeatures(msg: ClientMessage<'login'>): Feature[] {
  return (msg.features ?? []).filter((f): f is Feature => (FEATURES as readonly string[]).includes(f));
}
