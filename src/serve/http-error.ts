import { BertftError } from '../errors.js';

/**
 * A client mistake (or a refusal such as "busy") that becomes an HTTP status and a one-line JSON
 * `{"error": ...}` body. It is a BertftError because it describes the caller's input, not a bug.
 */
export class HttpError extends BertftError {
  /** HTTP status code, 4xx (or 503 for a busy or draining server). */
  readonly status: number;
  /** Extra response headers, e.g. `Allow` for 405 or `Retry-After` for 503. */
  readonly headers: Record<string, string>;
  /** True when the rest of the request must not be read, so the connection has to close. */
  readonly closeConnection: boolean;

  constructor(status: number, message: string, options: { headers?: Record<string, string>; closeConnection?: boolean } = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = options.headers ?? {};
    this.closeConnection = options.closeConnection ?? false;
  }
}

/** Collapses a message onto one line, so every error body is a single readable line. */
export function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}
