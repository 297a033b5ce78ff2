import { HeraldError, notFound } from '@herald/core';
import { findReplayTask, replayTaskOut } from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { errorResponses, notFoundResponse } from '../schemas';
import { watchCredential } from '../streams/credential-watch';
import { Id } from './schemas';

const POLL_MS = 250;

const route = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/replay/{task_id}/stream',
  tags: ['Replay (Herald)'],
  summary: "A replay task's progress as Server-Sent Events, until it ends",
  request: { params: z.object({ app_id: Id, task_id: Id }) },
  responses: {
    200: {
      description: '`event: progress` with the task each time it changes; the stream ends with the task',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    404: notFoundResponse('replay task'),
    ...errorResponses,
  },
});

/**
 * Progress of a bulk replay, pushed: one `progress` event whenever `done` or
 * the status changes, read from the task row (so any API process can serve
 * it); the stream closes once the task has finished, failed or been canceled.
 */
export function registerReplayProgressStream(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const { app_id, task_id } = c.req.valid('param');
    const application = await resolveApplication(deps.db, principal, app_id);
    const scope = { orgId: principal.orgId, appId: application.id };
    if (!(await findReplayTask(deps.db, scope, task_id))) throw notFound('replay task');
    // Checked after tenancy, so another tenant learns nothing but "not found".
    if (!(c.req.header('accept') ?? '').includes('text/event-stream')) {
      throw new HeraldError('bad_request', 'this route is an event stream: send "Accept: text/event-stream"');
    }
    return streamSSE(c, async (stream) => {
      const revoked = new AbortController();
      stream.onAbort(() => revoked.abort());
      watchCredential(c, revoked.signal, () => revoked.abort());
      let last = '';
      try {
        while (!stream.aborted && !revoked.signal.aborted) {
          const task = await findReplayTask(deps.db, scope, task_id);
          if (!task) return;
          const out = replayTaskOut(task);
          const state = `${out.status}:${out.done}`;
          if (state !== last) {
            last = state;
            await stream.writeSSE({ event: 'progress', id: String(out.done), data: JSON.stringify(out) });
          }
          if (out.status !== 'running') return;
          await stream.sleep(POLL_MS);
        }
      } finally {
        // Stops the credential watch however the stream ends.
        revoked.abort();
      }
    }) as never;
  });
}
