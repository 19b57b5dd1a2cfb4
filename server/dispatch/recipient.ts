/**
 * Who a private-chat request or a file offer is for. Both need the recipient online, but a name
 * that is no account at all is refused in the words a /msg to it gets ("there is no account named
 * zed"), not as "zed is not online", which says to wait for someone who will never come.
 */
import { chatError } from '../../common/errors.js';
import type { Services } from './context.js';

/**
 * Throws NO_SUCH_USER (an account's) for a name neither online (a guest has no account) nor
 * registered. An account that is offline passes: the rules refuse it as not online, when they run
 * (on a cluster, in the log's order, by when the recipient may have logged in).
 */
export function mustBeSomeone({ room, store }: Pick<Services, 'room' | 'store'>, name: string): void {
  if (!room.find(name) && !store.find(name)) throw chatError('NO_SUCH_USER', name, true);
}
