/**
 * What every part of an encrypted private chat works with (secure-chats.ts puts the parts
 * together): our identity and name, the pinned keys, the words, and the messages waiting to be
 * sent; what a server message becomes; and the warning every part gives for a changed key.
 */
import type { ClientMessage, ServerMessage } from '../../common/protocol.js';
import type { DisplayLine, Formatter } from '../format.js';
import { safeLine } from '../format.js';
import type { Signer } from './bundle.js';
import type { KnownKeys } from './known-keys.js';

export interface SecureContext {
  /** Our identity key: it signs every key we offer. */
  readonly identity: Signer;
  readonly known: KnownKeys;
  readonly fmt: Formatter;
  readonly me: () => string;
  /** SecureChats.outbox: where a part puts a message it needs sent (a rekey reply, an EXIT PM). */
  readonly outbox: ClientMessage[];
  /** Whether the server names every refusal of a private chat request (see namesRefusals). */
  readonly named: () => boolean;
}

export interface SecureOut {
  /** Lines to show. */
  lines: DisplayLine[];
  /** The message to hand on to the chat view (possibly rewritten: a line opened, wording made ours), or null. */
  pass: ServerMessage | null;
  /** Messages to give the view after this one (held lines released). */
  more?: ServerMessage[];
}

export function changedWarning(fmt: Formatter, name: string): DisplayLine[] {
  const n = safeLine(name);
  return [
    fmt.error(`WARNING: ${n}'s identity key has CHANGED since you last talked.`),
    fmt.error(`It may be a new device or a reinstall, or someone (the server?) passing for ${n}. Compare safety numbers with ${n} another way (/verify shows them);`),
    fmt.error(`nothing is sent or shown until you type /trust ${n} to accept the new key.`),
  ];
}
