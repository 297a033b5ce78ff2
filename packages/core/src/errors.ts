/**
 * The closed set of error codes Herald answers with. Clients branch on `code`;
 * `detail` is for humans and may change wording.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  header_too_large: 431,
  validation: 422,
  rate_limited: 429,
  internal: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface FieldError {
  /** Dotted path of the failing field, e.g. `body.url` or `query.limit`. */
  path: string;
  message: string;
}

/** What every error response carries, whatever produced it. */
export interface ErrorBody {
  code: ErrorCode;
  detail: string;
  requestId: string;
  errors?: FieldError[];
}

export class HeraldError extends Error {
  readonly status: number;
  /** Sent as `Retry-After` (seconds) with a 429 or 503. */
  readonly retryAfterS: number | undefined;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    options: { retryAfterS?: number } = {},
  ) {
    super(detail);
    this.name = 'HeraldError';
    this.status = ERROR_STATUS[code];
    this.retryAfterS = options.retryAfterS;
  }

  toBody(requestId: string): ErrorBody {
    return this.errors
      ? { code: this.code, detail: this.detail, requestId, errors: this.errors }
      : { code: this.code, detail: this.detail, requestId };
  }
}

export const notFound = (what: string) => new HeraldError('not_found', `${what} not found`);
