import { type FieldError, HeraldError, type RepeatedLog } from '@herald/core';
import { databaseErrorCode, UNAVAILABLE_CODES } from '@herald/db';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import type { ApiEnv } from './context';

/** `body.metadata.owner`, `query.limit`, …: which field failed, where. */
export function fieldErrors(target: string, error: ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const at = [target, ...issue.path.map(String)];
    // zod reports unknown keys once, on their parent; name each one instead.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...at, key].join('.'), message: 'is not a known field' }));
    }
    return [{ path: at.join('.'), message: issue.message }];
  });
}

export function validationError(target: string, error: ZodError): HeraldError {
  const errors = fieldErrors(target, error);
  const first = errors[0];
  const detail = first ? `${first.path}: ${first.message}` : `invalid ${target}`;
  return new HeraldError('validation', errors.length > 1 ? `${detail} (and ${errors.length - 1} more)` : detail, errors);
}

/**
 * The one error handler: every failure leaves as the same JSON shape. Anything
 * that is not a HeraldError or a framework rejection of the request is a bug,
 * logged in full and answered with a generic 500 that echoes nothing internal.
 */
export interface ErrorLog {
  /** A bug: logged in full, every time. */
  error(message: string, fields: Record<string, unknown>): void;
  /** The database is away: one line per interval with a count, naming the driver's reason, so an operator sees why requests answer 503. */
  unavailable: RepeatedLog['warn'];
}

export function toErrorResponse(error: unknown, c: Context<ApiEnv>, log: ErrorLog) {
  const requestId = c.get('requestId') ?? 'unknown';
  const unavailable = databaseErrorCode(error, UNAVAILABLE_CODES);
  let herald: HeraldError;
  if (error instanceof HeraldError) {
    herald = error;
  } else if (databaseErrorCode(error, UNSTORABLE_TEXT_CODES)) {
    // A NUL (or other byte PostgreSQL cannot store) that a schema let through: the client's input, not a bug.
    herald = new HeraldError('bad_request', 'the request contains a character that cannot be stored (such as NUL)');
  } else if (unavailable) {
    // Not a bug: PostgreSQL is restarting or unreachable. Say so; the client may retry.
    log.unavailable(`database-unavailable:${unavailable}`, 'database unavailable; answering 503', { requestId, code: unavailable });
    herald = new HeraldError('service_unavailable', 'the database is unavailable; retry shortly');
  } else if (error instanceof HTTPException && error.status < 500) {
    herald = fromHttpException(error);
  } else {
    log.error('unhandled error', { requestId, error: error instanceof Error ? error.stack : String(error) });
    herald = new HeraldError('internal', 'internal error; quote the request id when reporting it');
  }
  if (herald.retryAfterS !== undefined) c.header('retry-after', String(herald.retryAfterS));
  return c.json(herald.toBody(requestId), herald.status as ContentfulStatusCode);
}

function fromHttpException(error: HTTPException): HeraldError {
  const message = error.message || 'bad request';
  switch (error.status) {
    case 400:
      return /json/i.test(message)
        ? new HeraldError('invalid_json', 'request body is not valid JSON')
        : new HeraldError('bad_request', message);
    case 401:
      return new HeraldError('unauthorized', message);
    case 404:
      return new HeraldError('not_found', message);
    case 413:
      return new HeraldError('payload_too_large', message);
    case 415:
      return new HeraldError('unsupported_media_type', message);
    default:
      return new HeraldError('bad_request', message);
  }
}

/** PostgreSQL's "character not in repertoire" and "untranslatable character" (NUL in text or jsonb). */
const UNSTORABLE_TEXT_CODES: ReadonlySet<string> = new Set(['22021', '22P05']);
