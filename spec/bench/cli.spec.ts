/**
 * The bench's command line: every size and option it refuses, in one line naming the option.
 */
import { expect } from 'chai';
import { parseArgs } from '../../bench/main.js';
import { UsageError } from '../../common/cli.js';

describe('bench command line', () => {
  const refused: [string[], RegExp][] = [
    [['--json'], /^--json needs a value$/],
    [['--messages', '-1'], /invalid --messages -1: use a whole number of at least 0/],
    [['--scenario', 'idle', '--seconds', '1.5'], /invalid --seconds 1.5/],
    [['--scenario', 'paced', '--seconds', '0'], /invalid --seconds 0/],
    [['--storm-logins', '2.5', '--scenario', 'storm'], /invalid --storm-logins 2.5/],
    [['--storm-logins', '3'], /--storm-logins and --register go with --scenario storm/],
    [['--register'], /go with --scenario storm/],
    [['--registrations', '3'], /--registrations goes with --scenario connect/],
    [['--scenario', 'connect', '--registrations', '-1'], /invalid --registrations -1/],
    [['--accounts', '-1'], /invalid --accounts -1/],
    [['--cost', '3'], /invalid --cost 3: use a whole number from 4 to 31/],
    [['--hash-seconds', '0'], /invalid --hash-seconds 0/],
    [['--clients', 'abc'], /invalid --clients "abc": not a number/],
    [['--senders', '-1'], /invalid --senders -1/],
    [['--rate', '-5'], /invalid --rate -5/],
    [['--workers', '0'], /invalid --workers 0/],
    [['--window', '0'], /invalid --window 0/],
    [['--concurrency', '-1'], /invalid --concurrency -1/],
    [['--port', '70000'], /invalid --port 70000: use a whole number from 1 to 65535/],
    [['--heartbeat', '-1'], /invalid --heartbeat -1/],
    [['--login-timeout', '0'], /invalid --login-timeout 0/],
    [['--scenario', 'nope'], /scenario/],
    [['--nodes', '3'], /--nodes goes with --scenario cluster/],
    [['--scenario', 'cluster', '--nodes', '1'], /invalid --nodes 1: use a whole number from 2 to 16/],
    [['--scenario', 'cluster', '--floor'], /--scenario cluster starts its own servers and Redis/],
    [['--bogus'], /bogus/],
    [['--server-args=--hash-threads'], /invalid --server-args: --hash-threads \(no value\)/],
    [['--server-args=--hash-threads 0'], /invalid --server-args: --hash-threads 0 \(use a whole number from 1\)/],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${args.join(' ')}`, () => {
      expect(() => parseArgs(args)).to.throw(UsageError, message);
    });
  }

  it('takes "--json -" as stdout, a repeated option as its last value, and --json FILE', () => {
    expect(parseArgs(['--json', '-', '--quick'])).to.include({ json: '-', quick: true });
    expect(parseArgs(['--json', 'out.json'])).to.include({ json: 'out.json' });
    expect(parseArgs(['--clients', '5', '--clients', '7'])).to.include({ clients: 7 });
  });
});
