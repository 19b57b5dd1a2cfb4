/**
 * Failures the bench expects and explains in one line (bad options, a limit too low, a target
 * that would not start); anything else is a bug and is printed with its stack.
 */
export class BenchError extends Error {}
