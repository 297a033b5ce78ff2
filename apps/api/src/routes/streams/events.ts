import { messageStreamOut, readMessageStream } from '@herald/db';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { AppParam } from '../messages/schemas';
import { errorResponses, notFoundResponse } from '../schemas';
import { messageCursorBefore } from './cursors';
import { pump, type StreamHub } from './hub';
import { requireEventStream } from './negotiate';
import { EventStreamHeaders, EventStreamQuery, sseResponse } from './schemas';
import { SSE_HEADERS } from './sse';

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/events/stream',
  tags: ['Streams'],
  summary: "An application's messages, in order, as Server-Sent Events",
  description:
    'Each event is `id: <message id>`, `event: message`, `data: <MessageOut JSON, with payload>`, in message-id (creation ' +
    'time) order. Replay with `Last-Event-ID` (or `last_event_id`), strictly after that message, or `since` (an ISO time); ' +
    'otherwise only messages published from now on. Messages appear about a second after they are accepted (see docs/api.md, ' +
    'Streams). Send `Accept: text/event-stream`.',
  request: { params: AppParam, query: EventStreamQuery, headers: EventStreamHeaders },
  responses: {
    200: sseResponse(
      'An endless event stream',
      'id: msg_…\nevent: message\ndata: {"id":"msg_…","eventType":"invoice.paid","payload":{…},…}\n\n',
    ),
    404: notFoundResponse('application'),
    ...errorResponses,
  },
});

export function registerEventStream(app: OpenAPIHono<ApiEnv>, deps: ApiDeps, hub: StreamHub) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const query = c.req.valid('query');
    const application = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    requireEventStream(c);
    // HEAD runs this GET handler and drops the body: answer the headers without opening a stream.
    if (c.req.method === 'HEAD') return c.body(null, 200, SSE_HEADERS);

    const scope = { orgId: principal.orgId, appId: application.id };
    const resume = c.req.valid('header')['last-event-id'] ?? query.last_event_id;
    // Ids embed their creation time: "after this id", "made at `since` or later", or "made from now on".
    const start = resume ?? messageCursorBefore(query.since ? query.since.getTime() : Date.now());
    const connection = hub.connect(c);
    const batch = hub.options.messageBatchSize;
    void pump(
      hub,
      connection,
      {
        horizon: hub.messages,
        read: async (after, upTo) => {
          const rows = await readMessageStream(deps.db, scope, after, upTo, batch);
          return {
            events: rows.map((row) => ({ id: row.id, event: 'message', data: messageStreamOut(row) })),
            last: rows.at(-1)?.id,
            full: rows.length === batch,
          };
        },
      },
      start,
    );
    return c.body(connection.body, 200, SSE_HEADERS);
  });
}
