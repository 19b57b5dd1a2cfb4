/**
 * The pacer without a transport: drained() is a fake whose callbacks a spec answers by hand, so a
 * bulk reply's batches are seen going out one per drain, jobs of one user in order, and a lost
 * connection stopping what was left.
 */
import { expect } from 'chai';
import { Pacer, type Job } from '../../../server/chat/pacer.js';

describe('Pacer (fake drains)', () => {
  let sent: string[];
  let waits: { user: string; then: (open: boolean) => void }[];
  let pacer: Pacer;
  /** A job that sends `batches` batches named `name`1, `name`2, ... */
  const job = (name: string, batches: number): Job & { stops: number } => {
    let n = 0;
    const j = {
      stops: 0,
      step: () => {
        sent.push(`${name}${++n}`);
        return n < batches;
      },
      stopped: () => void j.stops++,
    };
    return j;
  };
  /** Answers the oldest drained() call. */
  const drain = (open = true) => waits.shift()!.then(open);

  beforeEach(() => {
    sent = [];
    waits = [];
    pacer = new Pacer((user, then) => void waits.push({ user, then }));
  });

  it('sends the first batch at once and each next one only once the last was taken', () => {
    pacer.run('bob', job('b', 3));
    expect(sent).to.deep.equal(['b1']);
    drain();
    expect(sent).to.deep.equal(['b1', 'b2']);
    drain();
    expect(sent).to.deep.equal(['b1', 'b2', 'b3']);
    expect(waits, 'done: nothing more to wait for').to.deep.equal([]);
  });

  it('runs a user\'s jobs one after another, in order; another user\'s beside them', () => {
    pacer.run('bob', job('a', 2));
    pacer.run('bob', job('h', 1));
    pacer.run('carol', job('c', 1));
    expect(sent).to.deep.equal(['a1', 'c1']);
    drain(); // bob's
    expect(sent).to.deep.equal(['a1', 'c1', 'a2']);
    drain(); // bob's again: the first job is done, the second starts
    expect(sent).to.deep.equal(['a1', 'c1', 'a2', 'h1']);
  });

  it('stops every job of a user whose connection is lost, and tells them', () => {
    const first = job('a', 5);
    const second = job('h', 1);
    pacer.run('bob', first);
    pacer.run('bob', second);
    drain(false);
    expect(sent).to.deep.equal(['a1']);
    expect([first.stops, second.stops]).to.deep.equal([1, 1]);
    pacer.run('bob', job('n', 1));
    expect(sent, 'a new login starts afresh').to.deep.equal(['a1', 'n1']);
  });

  it('waits between the batches of a job with its own wait (a receipt) for that, not the transport; the next job for the transport', () => {
    const receipts: ((open: boolean) => void)[] = [];
    const first = Object.assign(job('o', 2), { wait: (then: (open: boolean) => void) => void receipts.push(then) });
    pacer.run('bob', first);
    pacer.run('bob', job('h', 2));
    expect([sent, waits.length, receipts.length]).to.deep.equal([['o1'], 0, 1]);
    receipts.shift()!(true);
    expect(sent, 'the last batch sent: the next job waits for the transport').to.deep.equal(['o1', 'o2']);
    expect([waits.length, receipts.length]).to.deep.equal([1, 0]);
    drain();
    expect(sent).to.deep.equal(['o1', 'o2', 'h1']);
    expect(waits.length, 'between its own batches too').to.equal(1);
  });

  it('stops a user\'s jobs when a receipt waited for will not come (the connection is gone)', () => {
    let cut: ((open: boolean) => void) | undefined;
    const first = Object.assign(job('o', 3), { wait: (then: (open: boolean) => void) => void (cut = then) });
    const second = job('h', 1);
    pacer.run('bob', first);
    pacer.run('bob', second);
    cut!(false);
    expect(sent).to.deep.equal(['o1']);
    expect([first.stops, second.stops]).to.deep.equal([1, 1]);
  });

  it('goes on in a loop while the transport is drained at once (a user on another server)', () => {
    const now = new Pacer((_user, then) => then(true));
    let n = 0;
    now.run('bob', { step: () => ++n < 10_000 });
    expect(n).to.equal(10_000);
  });
});
