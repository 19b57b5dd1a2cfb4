import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, commandLine, given, optionalWholeNumber, repeatedValues, tooFewValues, unknownAsTyped, valueProblem, versionLine, wholeNumber } from '../../common/cli.js';

const built = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

/** Runs a built program with `args`; its exit code and output. */
function run(program: string, args: string[]): { code: number | null; out: string; err: string } {
  // In a folder of its own: a server that did start would write its users file and log there.
  const cwd = mkdtempSync(join(tmpdir(), 'chat-cli-'));
  try {
    const r = spawnSync(process.execPath, [built(program), ...args], { cwd, encoding: 'utf8', input: '', timeout: 10_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

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

  it('collects every value of an option that may be repeated, in order, up to --', () => {
    const argv = ['--server', 'a', '--user', 'x', '--server=b,c', '--servers', 'no', '--', '--server', 'd'];
    expect(repeatedValues(argv, 'server')).to.deep.equal(['a', 'b,c']);
    expect(repeatedValues(['--server'], 'server')).to.deep.equal([]);
    expect(given(['--host=a'], 'host')).to.equal(true);
    expect(given(['--hostname', 'a'], 'host')).to.equal(false);
    expect(given(['--server', 'a', '--', '--host'], 'host'), 'past --: not an option').to.equal(false);
  });

  it('names an unknown negated flag as typed (--no-bell), not as yargs reads it (bell)', () => {
    expect(() => commandLine(['--no-bell'], 'x', '$0').parseSync()).to.throw(UsageError, /^unknown option --no-bell$/);
    expect(unknownAsTyped(['--no-bell', '--usr'], 'Unknown arguments: bell, usr')).to.equal('unknown options --no-bell, --usr');
    expect(unknownAsTyped(['--bell'], 'Unknown argument: bell')).to.equal('unknown option --bell');
    expect(unknownAsTyped(['-v'], 'Unknown argument: v')).to.equal('unknown option -v');
    expect(unknownAsTyped(['--bogus=1', 'extra'], 'Unknown arguments: bogus, extra')).to.equal('unknown option --bogus; unexpected argument "extra"');
    expect(unknownAsTyped([], 'Not enough arguments')).to.equal('Not enough arguments');
    // yargs names a dashed option twice (foo-bar, and fooBar), and each letter of -vx alone.
    expect(unknownAsTyped(['--foo-bar=1'], 'Unknown arguments: foo-bar, fooBar')).to.equal('unknown option --foo-bar');
    expect(unknownAsTyped(['--no-foo-bar'], 'Unknown arguments: foo-bar, fooBar')).to.equal('unknown option --no-foo-bar');
    expect(unknownAsTyped(['-vx', 'extra'], 'Unknown arguments: v, x, extra')).to.equal('unknown options -v, -x; unexpected argument "extra"');
  });

  it('refuses unknown options as a UsageError', () => {
    expect(() => commandLine(['--nope'], 'x', '$0').option('name', { type: 'string' }).parseSync()).to.throw(UsageError, /nope/);
  });

  it('says an option of several values given too few as a missing value is said, with how many it takes', () => {
    const pair = () => commandLine(['--pair', 'a'], 'x', '$0').option('pair', { type: 'string', nargs: 2 });
    expect(() => pair().parseSync()).to.throw(UsageError, /^--pair needs 2 values$/);
    expect(tooFewValues('Not enough arguments following: pair', { pair: 2 })).to.equal('--pair needs 2 values');
    expect(tooFewValues('Not enough arguments following: one', { one: 1 })).to.equal('--one needs a value');
    expect(tooFewValues('Not enough arguments following: odd', {})).to.equal('--odd needs more values');
    expect(tooFewValues('Unknown argument: bell', { pair: 2 })).to.equal(null);
  });

  it('finds an option given without its value, or a number given as nothing', () => {
    // As yargs parses them: defaults filled in, a bare --user as '', --no-bell as bell: false.
    const parsed = { port: 5555, user: '', password: '', tls: true, bell: false, n: 0 };
    expect(valueProblem(['--port'], parsed)).to.equal('--port needs a value');
    expect(valueProblem(['--port', '--tls'], parsed)).to.equal('--port needs a value');
    expect(valueProblem(['--n', ''], parsed)).to.equal('invalid --n: empty');
    expect(valueProblem(['--n='], parsed)).to.equal('invalid --n: empty');
    expect(valueProblem(['--n', ' '], parsed)).to.equal('invalid --n: empty');
    expect(valueProblem(['--user'], parsed)).to.equal('--user needs a value');
    // yargs reads text that is no number as NaN; the text typed is what the user must see.
    expect(valueProblem(['--port', 'abc'], { ...parsed, port: Number.NaN })).to.equal('invalid --port "abc": not a number');
    expect(valueProblem(['--port=1x'], { ...parsed, port: Number.NaN })).to.equal('invalid --port "1x": not a number');
    // An empty string said so is a value; flags take none; negative numbers are values.
    expect(valueProblem(['--password', ''], parsed)).to.equal(null);
    expect(valueProblem(['--tls', '--port', '-1'], parsed)).to.equal(null);
    expect(valueProblem(['--no-bell', '--', '--port'], parsed)).to.equal(null);
  });

  it('names the program and the package version for --version', () => {
    expect(versionLine('chat-x')).to.equal(`chat-x ${VERSION}`);
  });

  it('gives both programs --version, and refuses --port \'\' and a bare --port in both', () => {
    for (const [program, name] of [['client/main.js', 'chat-client'], ['server/main.js', 'chat-server']] as const) {
      expect(run(program, ['--version']), name).to.deep.equal({ code: 0, out: `${name} ${VERSION}\n`, err: '' });
      const empty = run(program, ['--port', '']);
      expect([empty.code, empty.out], name).to.deep.equal([1, '']);
      expect(empty.err, name).to.match(new RegExp(`^${name}: invalid --port: empty( \\(see --help\\))?\n$`));
      const bare = run(program, ['--port']);
      expect([bare.code, bare.out], name).to.deep.equal([1, '']);
      expect(bare.err, name).to.match(new RegExp(`^${name}: --port needs a value( \\(see --help\\))?\n$`));
    }
  });
});
