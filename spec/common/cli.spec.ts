import { expect } from 'chai';
import { UsageError, commandLine, optionalWholeNumber, wholeNumber } from '../../common/cli.js';

describe('command-line conventions (common/cli)', () => {
  it('takes whole numbers in range and names the option and the range otherwise', () => {
    expect(wholeNumber('port', 0, 0, 65535)).to.equal(0);
    expect(wholeNumber('rate-count', 7, 1)).to.equal(7);
    const refusal = (v: number, min: number, max?: number) => {
      try {
        wholeNumber('opt', v, min, max);
      } catch (e) {
        expect(e).to.be.instanceOf(UsageError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refusal(70000, 0, 65535)).to.equal('invalid --opt 70000: use a whole number from 0 to 65535');
    expect(refusal(1.5, 1)).to.equal('invalid --opt 1.5: use a whole number of at least 1');
    expect(refusal(Number.NaN, 1)).to.equal('invalid --opt (not a number): use a whole number of at least 1');
    expect(refusal(-1, 0)).to.equal('invalid --opt -1: use a whole number of at least 0');
    expect(optionalWholeNumber('opt', undefined, 1)).to.equal(undefined);
  });

  it('keeps the last of a repeated option instead of making an array of it', () => {
    const a = commandLine(['--name', 'a', '--name', 'b', '--n', '1', '--n', '2'], 'x', '$0')
      .option('name', { type: 'string' })
      .option('n', { type: 'number' })
      .parseSync();
    expect(a.name).to.equal('b');
    expect(a.n).to.equal(2);
  });

  it('refuses unknown options as a UsageError', () => {
    expect(() => commandLine(['--nope'], 'x', '$0').option('name', { type: 'string' }).parseSync()).to.throw(UsageError, /nope/);
  });
});
