import { HeraldError, notFound } from '@herald/core';
import {
  type AttemptStreamFilter,
  attemptHistoryStart,
  attemptLogHead,
  attemptStreamOut,
  findStreamEndpoint,
  readAttemptStream,
} from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { errorResponses, notFoundResponse } from '../schemas';
import { pump, type StreamHub } from './hub';
import { requireEventStream } from './negotiate';
import { AttemptStreamHeaders, AttemptStreamQuery, sseResponse } from './schemas';
import { SSE_HEADERS } from './sse';

const route = createRoute({
  method: 'get',
  path: '/api/v1/stream/attempts',
  tags: ['Streams'],
  summary: 'Delivery attempts, live, as Server-Sent Events',
  description:
    'Tails the attempt log. Each event is `id: <seq>`, `event: attempt`, `data: <AttemptStreamEvent JSON>`, in seq order. ' +
    'Resume with `Last-Event-ID` (or `last_event_id`): the stream continues strictly after that seq with no gap and no ' +
    'duplicate; without one it starts at the newest attempt, or `history` attempts before it. `: keep-alive` comments every 15 s. Send `Accept: text/event-stream`.',
  request: { query: AttemptStreamQuery, headers: AttemptStreamHeaders },
  responses: {
    200: sseResponse('An endless event stream', 'id: 1042\nevent: attempt\ndata: {"id":"atmpt_…","seq":1042,"status":0,…}\n\n'),
    404: notFoundResponse('application or endpoint'),
    ...errorResponses,
  },
});

export function registerAttemptStream(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, hub: StreamHub) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const query = c.req.valid('query');
    const resume = c.req.valid('header')['last-event-id'] ?? query.last_event_id;

    if (principal.scope === 'app' && !query.app_id) {
      throw new HeraldError('forbidden', 'an app-scoped key must name its own application in app_id');
    }
    const filter: AttemptStreamFilter = { orgId: principal.orgId, status: query.status };
    if (query.app_id) filter.appId = (await resolveApplication(deps.db, principal, query.app_id)).id;
    if (query.endpoint_id) {
      const endpoint = await findStreamEndpoint(deps.db, principal.orgId, filter.appId, query.endpoint_id);
      if (!endpoint || (principal.appId !== null && endpoint.appId !== principal.appId)) throw notFound('endpoint');
      filter.endpointId = endpoint.id;
    }
    requireEventStream(c);
    // HEAD runs this GET handler and drops the body: answer the headers without opening a stream.
    if (c.req.method === 'HEAD') return c.body(null, 200, SSE_HEADERS);

    // Without a resume point, "now": whatever is newest when the stream opens (after `history` recent ones, if asked).
    let start = resume;
    if (start === undefined) {
      const head = await attemptLogHead(deps.db);
      start = query.history ? await attemptHistoryStart(deps.db, filter, head, query.history) : head;
    }
    const connection = hub.connect(c);
    void pump(
      hub,
      connection,
      {
        horizon: hub.attempts,
        read: async (after, upTo) => {
          const rows = await readAttemptStream(deps.db, filter, after, upTo, hub.options.batchSize);
          return {
            events: rows.map((row) => ({ id: String(row.seq), event: 'attempt', data: attemptStreamOut(row) })),
            last: rows.at(-1)?.seq,
            full: rows.length === hub.options.batchSize,
          };
        },
      },
      start,
    );
    return c.body(connection.body, 200, SSE_HEADERS);
  });
}
