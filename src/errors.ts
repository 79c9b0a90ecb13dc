/**
 * Errors that describe a user's mistake or an unusable input. The CLI prints their message on one
 * line with no stack trace; anything else is a bug and keeps its stack (or prints it with --debug).
 */
export class BertftError extends Error {
  /** 1 = the job failed (bad file, unreadable model); 2 = the command line itself was wrong. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'BertftError';
    this.exitCode = exitCode;
  }
}

/** A wrong flag, option value or argument: exit code 2. */
export class UsageError extends BertftError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

export function isBertftError(e: unknown): e is BertftError {
  return e instanceof BertftError;
}
