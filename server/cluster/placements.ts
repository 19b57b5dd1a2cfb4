/**
 * What the cluster knows of each session beyond the room: the serial that names it, and where it
 * is connected. Apart from the replica because every kind of event starts here, by finding the
 * session it is meant for, and must not land on a newer session that took the name meanwhile.
 */
import { chatError } from '../../common/errors.js';
import type { Room } from '../chat/room.js';
import type { Session } from '../chat/session.js';
import type { Reach } from '../net/delivery.js';

/** What the cluster knows of a session beyond the room: its serial, and where it is connected. */
export interface Placement {
  /** The log id of its login: names this session and no later one with the name. */
  serial: string;
  /** The log id of its last login or resume: names its current connection. */
  att: string;
  /** The server life (incarnation) it is connected to, or was last. */
  home: string;
  /** That server's name, for the log. */
  node: string;
  /** Its connection's wire format. */
  wire: string;
}

export class Placements {
  /** Weak: a session the room has let go of takes its placement with it. */
  private readonly of = new WeakMap<Session<Reach>, Placement>();

  constructor(private readonly room: Room<Reach>) {}

  get(s: Session<Reach>): Placement | undefined {
    return this.of.get(s);
  }

  set(s: Session<Reach>, p: Placement): void {
    this.of.set(s, p);
  }

  /** The session `user` whose serial is `serial`; refused with `code` when it has ended meanwhile. */
  session(user: string, serial: string, code: 'NOT_LOGGED_IN' | 'RESUME_FAILED' = 'NOT_LOGGED_IN'): Session<Reach> {
    const s = this.sessionIf(user, serial);
    if (!s) throw chatError(code);
    return s;
  }

  /** The session `user` whose serial is `serial`, or undefined when it has ended meanwhile. */
  sessionIf(user: string, serial: string): Session<Reach> | undefined {
    const s = this.room.byKey(user);
    return s && this.of.get(s)?.serial === serial ? s : undefined;
  }
}
