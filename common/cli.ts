/**
 * What every command line of the project (chat-server, chat-client, the bench, profile-top)
 * shares: the same yargs conventions, and numbers checked the same way, so an option means the
 * same thing and fails with the same kind of line everywhere.
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv } from 'yargs';

/** A mistake on the command line: printed as one line, never with a stack trace. */
export class UsageError extends Error {}

/**
 * yargs with the house rules: `--help`/`-h`, no `--version` unless the program adds one (with
 * {@link versionLine}), unknown options refused, an option that takes a value refused without one,
 * and a repeated option keeps its last value (by default yargs makes an array of it, which no
 * string or number option expects). Parse errors are thrown as UsageError.
 */
export function commandLine(argv: string[], name: string, usage: string): Argv {
  const y: Argv = yargs(argv);
  return y
    .scriptName(name)
    .usage(usage)
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .strict()
    .version(false)
    .help()
    .alias('help', 'h')
    .fail((msg, err) => {
      const message = msg || err?.message || 'invalid arguments';
      // getOptions() is yargs's own (untyped): `narg`, the values each option of several takes.
      const { narg } = (y as unknown as { getOptions(): { narg: Record<string, number> } }).getOptions();
      throw new UsageError(tooFewValues(message, narg) ?? unknownAsTyped(argv, message));
    })
    .check((parsed) => {
      const problem = valueProblem(argv, parsed);
      if (problem) throw new UsageError(problem);
      return true;
    });
}

/**
 * yargs says "Not enough arguments following: rename-user" for `--rename-user a` (and for a bare
 * `--json` whose value is `nargs: 1`): say it as a missing value is said (`--port needs a value`),
 * with how many the option takes (`narg`: yargs's count per option). Null for any other message.
 */
export function tooFewValues(message: string, narg: Readonly<Record<string, number>>): string | null {
  const m = /^Not enough arguments following: (.*)$/.exec(message);
  if (!m) return null;
  const n = narg[m[1]!];
  if (n === undefined) return `--${m[1]} needs more values`;
  return n === 1 ? `--${m[1]} needs a value` : `--${m[1]} needs ${n} values`;
}

/**
 * yargs says "Unknown argument: bell" for `--bell`, `--no-bell` (it reads that as bell: false),
 * `-b` and a bare word alike: say it in our words (lower case, as every other line), naming each
 * as typed, so nobody is told that an option they never typed is unknown.
 */
export function unknownAsTyped(argv: readonly string[], message: string): string {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (!m) return message;
  const typed = (name: string) => {
    if (given(argv, name)) return `--${name}`;
    if (given(argv, `no-${name}`)) return `--no-${name}`;
    // -v, or one letter of -vx (which yargs names one by one).
    const short = argv.includes(`-${name}`) || (name.length === 1 && argv.some((t) => /^-[^-]/.test(t) && t.includes(name)));
    return short ? `-${name}` : null;
  };
  const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  // yargs names --foo-bar twice, as foo-bar and as its camel-case alias fooBar: once is enough.
  const all = m[1]!.split(', ');
  const names = all.filter((n) => !(/[A-Z]/.test(n) && all.includes(kebab(n)) && typed(n) === null));
  const options = names.flatMap((n) => typed(n) ?? []);
  const words = names.filter((n) => typed(n) === null);
  const said = [
    options.length > 0 ? `unknown option${options.length === 1 ? '' : 's'} ${options.join(', ')}` : '',
    words.length > 0 ? `unexpected argument${words.length === 1 ? '' : 's'} ${words.map((w) => JSON.stringify(w)).join(', ')}` : '',
  ];
  return said.filter((x) => x !== '').join('; ');
}

/**
 * The options typed, in order, up to `--` (what follows it is not options): each `--name` with
 * its value, after `=` or else the next token unless that is an option too (undefined: none). The
 * one reading of an option token for the checks below, which yargs cannot make (it keeps the last
 * of a repeated option, and cannot tell a default from a value given).
 */
function* typedOptions(argv: readonly string[]): Generator<{ name: string; value: string | undefined }> {
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') return;
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(token);
    if (!m) continue;
    const next = argv[i + 1];
    yield { name: m[1]!, value: m[2] ?? (next === undefined || next.startsWith('--') ? undefined : next) };
  }
}

/**
 * Why an option that takes a value was given without one, or a number option with text that is
 * not one, or null. yargs reads a bare `--port`
 * as "not given" (so the default applies) and `--port ''` as 0 (for a server, "any free port"):
 * both must be mistakes, not silent choices. A string may be empty when said so (`--password ''`
 * asks for a guest login), but not missing.
 */
export function valueProblem(argv: readonly string[], parsed: Record<string, unknown>): string | null {
  for (const { name: option, value } of typedOptions(argv)) {
    const v = parsed[option];
    // Flags (and --no-x), and unknown options, which strict() reports.
    if (typeof v === 'boolean' || !(option in parsed)) continue;
    if (value === undefined) return `--${option} needs a value`;
    if (typeof v === 'number' && value.trim() === '') return `invalid --${option}: empty`;
    // yargs hands on NaN, so the range checks after the parse could not say what was typed.
    if (typeof v === 'number' && Number.isNaN(v)) return `invalid --${option} ${JSON.stringify(value)}: not a number`;
  }
  return null;
}

/** `name` and the version in package.json, for `--version` (this file is two folders below it, in dist/ too). */
export function versionLine(name: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `${name} ${pkg.version}`;
}

/** `v` if it is a whole number from `min` to `max`; otherwise a UsageError naming `--option`. */
export function wholeNumber(option: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (Number.isInteger(v) && v >= min && v <= max) return v;
  // yargs turns "abc" into NaN; saying "NaN" back would puzzle the user.
  const shown = Number.isNaN(v) ? '(not a number)' : String(v);
  const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
  throw new UsageError(`invalid --${option} ${shown}: use a whole number ${range}`);
}

/** Like wholeNumber for an option that may be left out. */
export function optionalWholeNumber(option: string, v: number | undefined, min: number, max?: number): number | undefined {
  return v === undefined ? undefined : wholeNumber(option, v, min, max);
}

/**
 * Every value given to `--option`, in order: for an option that may be repeated (`--server a
 * --server b`). yargs keeps only the last of a repeated option here (see commandLine), which is
 * what every other option wants.
 */
export function repeatedValues(argv: readonly string[], option: string): string[] {
  return [...typedOptions(argv)].flatMap(({ name, value }) => (name === option && value !== undefined ? [value] : []));
}

/** Whether `--option` was typed at all, before `--` (yargs cannot tell a default from a value given). */
export function given(argv: readonly string[], option: string): boolean {
  for (const { name } of typedOptions(argv)) if (name === option) return true;
  return false;
}
