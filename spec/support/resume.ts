import type { Endpoint } from '../../server/chat/outbox.js';
import { freshToken, type Renewal, type Session } from '../../server/chat/session.js';

/** What a resume by token gives Room.resume: a new token, and the one the client showed (its current one). */
export const byToken = <E extends Endpoint>(s: Session<E>): Renewal => ({ token: freshToken(), shown: s.token });

/** The same, for a client that showed `shown` (an earlier token, or a guess). */
export const byTokenShown = (shown: string): Renewal => ({ token: freshToken(), shown });
