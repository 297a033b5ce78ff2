import { HeraldError, notFound } from '@herald/core';
import {
  cancelReplayTask,
  countDeadLettersMatching,
  countMissingMessages,
  endReplayTask,
  findEndpoint,
  findReplayTask,
  listReplayTasks,
  type ReplayFilter,
  type ReplayTaskRow,
  replayTaskOut,
  startReplayTask,
} from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { resolveApplication } from '../../tenancy';
import { endpointInScope, refuseDisabled } from '../operations/shared';
import { conflictResponse, errorResponses, ListQuerySchema, listResponse, notFoundResponse } from '../schemas';
import { registerReplayProgressStream } from './progress';
import { DeadLetterReplayInSchema, Id, ReplayInSchema, ReplayOutSchema, ReplayTaskOutSchema } from './schemas';

const taskResponse = (description: string) => ({ description, content: { 'application/json': { schema: ReplayTaskOutSchema } } });

const startRoute = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/dead-letter/replay',
  tags: ['Dead letter'],
  summary: 'Replay every dead letter matching a filter, in the background',
  description:
    'Starts a task that requeues, as manual attempts, the dead-lettered deliveries of the application matching the filter ' +
    '(endpoint, event types, message creation time in [since, until], substring of the failure reason), 200 at a time. ' +
    'Starting the same filter again while its task runs returns that task. Ranges may span at most 90 days.',
  request: {
    params: z.object({ app_id: Id }),
    body: { required: true, content: { 'application/json': { schema: DeadLetterReplayInSchema } } },
  },
  responses: {
    202: taskResponse('Started (or already running)'),
    404: notFoundResponse('application or endpoint'),
    ...errorResponses,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/replay',
  tags: ['Dead letter'],
  summary: "The application's bulk replay tasks (dead-letter replays and replay-missing), newest first",
  request: { params: z.object({ app_id: Id }), query: ListQuerySchema.pick({ limit: true, iterator: true }) },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(ReplayTaskOutSchema, 'ListResponseReplayTaskOut') } },
    },
    404: notFoundResponse('application'),
    ...errorResponses,
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/replay/{task_id}',
  tags: ['Dead letter'],
  summary: 'A bulk replay task, with its progress',
  request: { params: z.object({ app_id: Id, task_id: Id }) },
  responses: { 200: taskResponse('The task'), 404: notFoundResponse('application or task'), ...errorResponses },
});

const cancelRoute = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/replay/{task_id}/cancel',
  tags: ['Dead letter'],
  summary: 'Cancel a running bulk replay task',
  description: 'The task stops before its next batch; deliveries already queued are still sent.',
  request: { params: z.object({ app_id: Id, task_id: Id }) },
  responses: {
    202: taskResponse('Canceled'),
    404: notFoundResponse('application or task'),
    409: conflictResponse('The task is not running'),
    ...errorResponses,
  },
});

const replayMissingRoute = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/replay-missing',
  tags: ['Endpoint'],
  summary: 'Send an endpoint the messages created in [since, until] that it never got',
  description:
    'Svix `endpoint.replayMissing`: creates and queues the deliveries of messages of the application that match the endpoint ' +
    '(event types, channels, payload filter) but were never sent to it, e.g. because the endpoint was created later. ' +
    'Runs in the background; ranges may span at most 90 days.',
  request: {
    params: z.object({ app_id: Id, endpoint_id: Id }),
    body: { required: true, content: { 'application/json': { schema: ReplayInSchema } } },
  },
  responses: {
    202: { description: 'Started', content: { 'application/json': { schema: ReplayOutSchema } } },
    404: notFoundResponse('application or endpoint'),
    409: conflictResponse('The endpoint is disabled'),
    ...errorResponses,
  },
});

/** Queues the task's job; a task whose job cannot be queued is marked failed rather than left running. */
async function launch(deps: ApiDeps, task: ReplayTaskRow) {
  try {
    await deps.queue.enqueue('replay', { taskId: task.id });
  } catch (error) {
    await endReplayTask(deps.db, task.id, 'failed');
    throw error;
  }
}

/** Bulk replay of dead letters by filter, the task list, progress and cancel, and Svix `endpoint.replayMissing`. */
export function registerReplayRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  registerReplayProgressStream(app, deps);
  app.openapi(startRoute, async (c) => {
    const principal = c.get('principal');
    const application = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    const scope = { orgId: principal.orgId, appId: application.id };
    const input = c.req.valid('json');
    let endpointId: string | undefined;
    if (input.endpointId) {
      const endpoint = await findEndpoint(deps.db, scope, input.endpointId);
      if (!endpoint) throw notFound('endpoint');
      endpointId = endpoint.id;
    }
    const filter: ReplayFilter = { ...input, endpointId };
    const total = await countDeadLettersMatching(deps.db, scope, filter);
    const { task } = await startReplayTask(deps.db, { ...scope, endpointId: endpointId ?? null, kind: 'dead_letters', filter, total });
    await launch(deps, task);
    return c.json(replayTaskOut(task), 202);
  });

  app.openapi(listRoute, async (c) => {
    const principal = c.get('principal');
    const application = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    return c.json(await listReplayTasks(deps.db, { orgId: principal.orgId, appId: application.id }, c.req.valid('query')), 200);
  });

  app.openapi(getRoute, async (c) => {
    const principal = c.get('principal');
    const { app_id, task_id } = c.req.valid('param');
    const application = await resolveApplication(deps.db, principal, app_id);
    const task = await findReplayTask(deps.db, { orgId: principal.orgId, appId: application.id }, task_id);
    if (!task) throw notFound('replay task');
    return c.json(replayTaskOut(task), 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const principal = c.get('principal');
    const { app_id, task_id } = c.req.valid('param');
    const application = await resolveApplication(deps.db, principal, app_id);
    const scope = { orgId: principal.orgId, appId: application.id };
    const canceled = await cancelReplayTask(deps.db, scope, task_id);
    if (canceled) return c.json(replayTaskOut(canceled), 202);
    const task = await findReplayTask(deps.db, scope, task_id);
    if (!task) throw notFound('replay task');
    throw new HeraldError('conflict', `this replay task is ${task.status}, not running`);
  });

  app.openapi(replayMissingRoute, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const input = c.req.valid('json');
    const { scope, endpoint } = await endpointInScope(deps, c.get('principal'), app_id, endpoint_id);
    refuseDisabled(endpoint);
    const filter: ReplayFilter = { endpointId: endpoint.id, since: input.since, until: input.until ?? undefined };
    const range = { since: new Date(input.since).toISOString(), until: new Date(input.until ?? Date.now()).toISOString() };
    const total = await countMissingMessages(deps.db, endpoint, range);
    const { task } = await startReplayTask(deps.db, { ...scope, endpointId: endpoint.id, kind: 'replay_missing', filter, total });
    await launch(deps, task);
    const status = task.status === 'canceled' ? ('failed' as const) : task.status;
    return c.json({ id: task.id, status, task: 'endpoint.replay' as const, updatedAt: task.updatedAt.toISOString() }, 202);
  });
}
