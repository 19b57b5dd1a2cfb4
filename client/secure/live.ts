/** The private session we are in, as every part of an encrypted chat sees it. */
import type { ServerMessage } from '../../common/protocol.js';
import type { Bundle, Pending } from './bundle.js';
import type { Channel } from './channel.js';

export interface Live {
  readonly partner: string;
  /** null: not encrypted (knowingly). */
  channel: Channel | null;
  identity: Buffer | null;
  /**
   * live: lines flow; untrusted: the partner's key changed, nothing flows until /trust;
   * renewing: our new keys are offered, lines wait for the reply; waiting: this client restarted
   * and has no keys yet.
   */
  state: 'live' | 'untrusted' | 'renewing' | 'waiting';
  /** Our half of a rekey we asked for. */
  renewal: Pending | null;
  /** A partner's rekey held until /trust (their key changed). */
  heldRekey: Bundle | null;
  /** Keys made but not in use until /trust. */
  heldChannel: Channel | null;
  /** Lines from the partner received while untrusted, shown after /trust. */
  held: ServerMessage[];
  /** Sealed lines that could not be read (sent to this client before it restarted). */
  unreadable: number;
}

/** A session with `partner` just begun (or found after a restart: `waiting`), nothing held. */
export function liveSession(partner: string, channel: Channel | null, identity: Buffer | null, state: 'live' | 'waiting'): Live {
  return { partner, channel, identity, state, renewal: null, heldRekey: null, heldChannel: null, held: [], unreadable: 0 };
}
