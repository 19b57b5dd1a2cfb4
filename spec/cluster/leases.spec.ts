/**
 * Leases on their own: a Redis whose answers the spec hands out by hand, and a clock it moves.
 * What a hung Redis looks like (a renewal never answered), and judgements that do not stack up.
 */
import { expect } from 'chai';
import { Leases } from '../../server/cluster/leases.js';
import type { Redis } from '../../server/cluster/redis.js';

/** A Redis that answers only when told: each command waits in `calls` for its answer. */
class HeldRedis {
  readonly calls: { command: string; answer: (v: unknown) => void; fail: (e: Error) => void }[] = [];
  private call(command: string): Promise<unknown> {
    return new Promise((answer, fail) => this.calls.push({ command, answer, fail }));
  }
  set(key: string): Promise<unknown> {
    return this.call(`SET ${key}`);
  }
  mGet(keys: string[]): Promise<unknown> {
    return this.call(`MGET ${keys.join(' ')}`);
  }
}

describe('cluster leases (a Redis answered by hand, a fake clock)', () => {
  let now: number;
  let redis: HeldRedis;
  let leases: Leases;
  beforeEach(() => {
    now = 0;
    redis = new HeldRedis();
    leases = new Leases(redis as unknown as Redis, () => now, 5000);
  });

  it('renews one at a time, and says Redis hangs once a renewal has waited a whole lease', async () => {
    const hung: number[] = [];
    const first = leases.renewOnce('life1', 'a', true, (ms) => hung.push(ms));
    now = 1000;
    expect(await leases.renewOnce('life1', 'a', true, (ms) => hung.push(ms)), 'one is out: none sent').to.equal(false);
    expect(redis.calls.map((c) => c.command)).to.deep.equal(['SET tinychat:node:life1']);
    now = 4999;
    await leases.renewOnce('life1', 'a', true, (ms) => hung.push(ms));
    expect(hung, 'not yet a whole lease').to.deep.equal([]);
    now = 5000;
    await leases.renewOnce('life1', 'a', true, (ms) => hung.push(ms));
    expect(hung).to.deep.equal([5000]);
    redis.calls[0]!.answer('OK');
    expect(await first, 'answered at last').to.equal(true);
    expect(await leases.renewOnce('life1', 'a', false, () => {}), 'none out, and none to send').to.equal(false);
    expect(redis.calls).to.have.length(1);
  });

  it('judges no lease until a lease after Redis is back, and one judgement at a time, each life reported once', async () => {
    now = 1000;
    leases.down();
    expect(await leases.ended(['x'])).to.deep.equal([]);
    leases.up();
    now = 5999;
    expect(await leases.ended(['x']), 'too early: the living have not all renewed').to.deep.equal([]);
    now = 6000;
    const judged = leases.ended(['x', 'y']);
    expect(await leases.ended(['x', 'y']), 'one under way').to.deep.equal([]);
    redis.calls.at(-1)!.answer([null, 'b']);
    expect(await judged).to.deep.equal(['x']);
    expect(await leases.ended(['x']), 'reported already').to.deep.equal([]);
    leases.settled('x');
    const again = leases.ended(['x']);
    redis.calls.at(-1)!.answer([null]);
    expect(await again, 'the log did not say so: reported again').to.deep.equal(['x']);
  });
});
