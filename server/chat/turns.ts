/**
 * One user's requests answered in the order they came, when some are answered later than others
 * (an offer to a user of another server waits for that server): a client reads the answers in
 * the order it asked. Only `busy` overtakes the requests waiting (a refusal names its request:
 * see the dispatcher's `refuses`). What runs at once while nothing waits stays synchronous.
 */
import { ChatError } from '../../common/errors.js';

export class Turns {
  private readonly waiting = new Map<string, { last: Promise<void>; n: number }>();

  /** `busy` is thrown when `max` of a user's requests wait already (what a user can make it hold). */
  constructor(
    private readonly max: number,
    private readonly busy: () => ChatError,
  ) {}

  /** Runs `run` for `user` now, or after the user's requests still waiting. */
  run(user: string, run: () => void | Promise<void>): void | Promise<void> {
    const turn = this.waiting.get(user);
    if (turn && turn.n >= this.max) throw this.busy();
    const result = turn ? turn.last.then(run) : run();
    if (!(result instanceof Promise)) return result;
    const settled = result.then(
      () => {},
      () => {},
    );
    const t = turn ?? { last: settled, n: 0 };
    t.last = settled;
    t.n++;
    this.waiting.set(user, t);
    void settled.then(() => {
      if (--t.n === 0 && this.waiting.get(user) === t) this.waiting.delete(user);
    });
    return result;
  }
}
