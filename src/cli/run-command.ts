import { isBertftError } from '../errors.js';

/** Set by the global --debug flag: print stack traces for every error. */
let debug = false;

export function setDebug(on: boolean): void {
  debug = on;
}

/** One-line message on stderr, in the same shape for every command. */
export function printError(message: string): void {
  process.stderr.write(`bertft: error: ${message}\n`);
}

/**
 * Runs a command's action and turns failures into the exit codes the CLI promises:
 * user mistakes (BertftError) print one line and exit 1 or 2; unexpected errors print one line
 * plus a hint, and their stack only with --debug.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (debug) console.error(e);
      if (isBertftError(e)) {
        if (!debug) printError(e.message);
        process.exitCode = e.exitCode;
        return;
      }
      const err = e as Error;
      const code = (err as NodeJS.ErrnoException).code;
      if (!debug) {
        if (code === 'ERR_OUT_OF_MEMORY' || /out of memory|allocation failed/i.test(err.message ?? '')) {
          printError(`out of memory: ${err.message}; try a smaller --batch-size or --max-length`);
        } else {
          printError(`${err.message ?? String(e)} (this looks like a bug; run again with --debug for the stack trace)`);
        }
      }
      process.exitCode = 1;
    }
  };
}
