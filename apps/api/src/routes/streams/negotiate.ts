import { HeraldError } from '@herald/core';
import type { Context } from 'hono';

const EVENT_STREAM = /(^|,)\s*text\/event-stream\s*(;|,|$)/i;

/**
 * The stream routes answer only a client that asks for `text/event-stream`
 * (EventSource always does). A plain HTTP client that reads the whole body
 * would otherwise wait forever on an endless response; it gets a 400 in the
 * one error shape instead. Checked after authentication and tenancy, so 401,
 * 403 and 404 come first.
 */
export function requireEventStream(c: Context) {
  if (!EVENT_STREAM.test(c.req.header('accept') ?? '')) {
    throw new HeraldError('bad_request', 'this route is a Server-Sent Events stream: send "Accept: text/event-stream"');
  }
}
