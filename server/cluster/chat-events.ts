/**
 * How the events that change what is said change a server's copy of the room: lines, private
 * messages and sessions, away, /history, the operator's wall and mute, and the flood limit's
 * count. Each is meant for a session found by its serial (Placements) and, where the log counts
 * it, checked against its sender's flood limit first; none of them moves anyone (see
 * session-events.ts), so they are kept apart.
 */
import { chatError, type Refused } from '../../common/errors.js';
import type { Room } from '../chat/room.js';
import type { Session } from '../chat/session.js';
import type { Reach } from '../net/delivery.js';
import type { Envelope } from './events.js';
import type { Placements } from './placements.js';

export type ChatEvent = Extract<
  Envelope,
  { t: 'say' | 'dm' | 'leave' | 'away' | 'back' | 'pm' | 'pmans' | 'rekey' | 'history' | 'pmexit' | 'expire' | 'wall' | 'mute' | 'count' }
>;

/**
 * What a refusal where the log counts a message names (see sender): made once for the messages
 * that name no recipient, as a group line is applied on every server, line after line.
 */
const SAY: Refused = { re: 'say' };
const REKEY: Refused = { re: 'pm_rekey' };
const HISTORY: Refused = { re: 'history' };

export class ChatEvents {
  constructor(
    private readonly room: Room<Reach>,
    private readonly placements: Placements,
  ) {}

  /** Applies `e`; `mine`: it came from this server. */
  apply(e: ChatEvent, mine: boolean): unknown {
    const { room, placements } = this;
    switch (e.t) {
      case 'say':
        return this.bySender(e, SAY, (me) => room.say(me, e.text, e.group, e.action, e.sealed));
      case 'dm':
        return this.bySender(e, { re: 'dm', user: e.to }, (me) => room.dm(me, e.to, e.text, e.action));
      case 'leave':
        // Logged in since it was sent: it goes to them now, as any private message would.
        return this.bySender(e, { re: 'dm', user: e.to }, (me) => (room.find(e.to) ? room.dm(me, e.to, e.text, e.action) : room.leave(me, e.to, e.text, e.action)));
      case 'away':
        return room.setAway(placements.session(e.user, e.s), e.text);
      case 'back':
        return room.back(placements.session(e.user, e.s));
      case 'pm':
        return this.bySender(e, { re: 'pm_request', user: e.target }, (me) => {
          const target = room.find(e.target);
          // Not online by the log's order; a name that is no account was refused before (dispatch/recipient.ts).
          if (!target) throw chatError('NO_SUCH_USER', e.target);
          return room.privates.request(me, target, e.key);
        });
      case 'pmans':
        return room.privates.answer(placements.session(e.user, e.s), e.from, e.accept, e.typed, e.key);
      case 'rekey':
        return this.bySender(e, REKEY, (me) => room.privates.rekey(me, e.key));
      case 'history':
        // The page goes from the asker's server only: the others' copies would send it to no one.
        return this.bySender(e, HISTORY, (me) => (mine ? room.history(me, e.before, e.count) : undefined));
      case 'pmexit':
        return room.privates.exit(placements.session(e.user, e.s));
      case 'expire':
        return room.privates.expireOne({ from: e.from, to: e.to, at: e.at });
      case 'wall':
        return room.wall(e.text);
      case 'mute': {
        const who = room.byKey(e.user);
        return who && room.mute(who, e.seconds);
      }
      case 'count': {
        // Nobody waits for it: a session ended meanwhile is no refusal to report. Nor is a count
        // over the limit: its message was answered already (offered, or refused before it asked
        // for anything), and a second answer would be matched to another line of the sender's.
        // Only a mute it starts is told (its notice).
        const me = placements.sessionIf(e.user, e.s);
        if (me) room.refusal(me);
        return undefined;
      }
    }
  }

  /**
   * The session that sent a line or a request, counted against its flood limit when the event is
   * marked so (`lim`: counted where applied, so every copy counts it in the log's order); null when
   * over the limit: the sender has been told (muted, or for how long still; the refusal naming
   * the message, `what`, as the dispatcher names what it refuses), and nothing changes.
   */
  private sender(e: { user: string; s: string; lim?: boolean }, what: Refused): Session<Reach> | null {
    const me = this.placements.session(e.user, e.s);
    return e.lim && !this.room.allow(me, what) ? null : me;
  }

  /**
   * `act` for the event's sender; false when over the limit where it is counted, so the asker's
   * dispatcher says it was refused (and ends a refused page: see Command.whenRefused).
   */
  private bySender<T>(e: { user: string; s: string; lim?: boolean }, what: Refused, act: (me: Session<Reach>) => T): T | false {
    const me = this.sender(e, what);
    return me ? act(me) : false;
  }
}
