/**
 * What every command line of the project (chat-server, chat-client, the bench, profile-top)
 * shares: the same yargs conventions, and numbers checked the same way, so an option means the
 * same thing and fails with the same kind of line everywhere.
 */
import yargs, { type Argv } from 'yargs';

/** A mistake on the command line: printed as one line, never with a stack trace. */
export class UsageError extends Error {}

/**
 * yargs with the house rules: `--help`/`-h`, no `--version`, unknown options refused, and a
 * repeated option keeps its last value (by default yargs makes an array of it, which no string or
 * number option expects). Parse errors are thrown as UsageError.
 */
export function commandLine(argv: string[], name: string, usage: string): Argv {
  return yargs(argv)
    .scriptName(name)
    .usage(usage)
    .parserConfiguration({ 'duplicate-arguments-array': false })
    .strict()
    .version(false)
    .help()
    .alias('help', 'h')
    .fail((msg, err) => {
      throw new UsageError(msg || err?.message || 'invalid arguments');
    });
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
