import { createLogger } from '@herald/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { registerAttemptStream } from './attempts';
import { registerEventStream } from './events';
import { StreamHub, type StreamOptions } from './hub';
import { AttemptStreamEvent } from './schemas';

export { DEFAULT_STREAM_OPTIONS, type StreamOptions } from './hub';

/** `ApiDeps` plus the streams' tuning (tests shorten the heartbeat, the stall timeout…). */
export type StreamDeps = ApiDeps & { streams?: Partial<StreamOptions> };

const hubs = new WeakMap<object, StreamHub>();

/** The SSE routes: the live attempt log and an application's message stream. */
export function registerStreamRoutes(app: OpenAPIHono<ApiEnv>, deps: StreamDeps) {
  const hub = new StreamHub(deps.db, deps.streams, createLogger('api', deps.config.logLevel));
  hubs.set(app, hub);
  app.openAPIRegistry.register('AttemptStreamEvent', AttemptStreamEvent);
  registerAttemptStream(app, deps, hub);
  registerEventStream(app, deps, hub);
}

/**
 * Ends every open stream of `app` and stops its polling; new stream requests
 * get 503. Called by the server's close before it waits for connections, since
 * an SSE response never ends by itself.
 */
export async function closeStreams(app: object): Promise<void> {
  await hubs.get(app)?.close();
}
