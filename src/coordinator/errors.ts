/** A refusal with its HTTP status and, for schema failures, one line per bad field. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly issues: string[] = [],
    /** Seconds after which the same request may pass (a rate limit's Retry-After). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
