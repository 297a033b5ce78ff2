import { notFound } from '@herald/core';
import {
  attemptOut,
  findAttempt,
  findEndpoint,
  findMessage,
  listAttempts,
  listEndpointMessages,
  listMessageDestinations,
} from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv, Principal } from '../../context';
import { resolveApplication } from '../../tenancy';
import { QueryBool, QueryLimit } from '../query';
import { errorResponses, listResponse, notFoundResponse } from '../schemas';
import { AttemptListQuery, EndpointMessageOut, MessageAttemptOut, MessageEndpointOut, StatusQuery } from './schemas';

const Id = z.string().min(1).max(256);

const byMessage = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/attempt/msg/{msg_id}',
  tags: ['Message attempt'],
  summary: 'Delivery attempts of one message, newest first',
  request: { params: z.object({ app_id: Id, msg_id: Id }), query: AttemptListQuery.extend({ endpoint_id: Id.optional() }) },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(MessageAttemptOut, 'ListResponseMessageAttemptOut') } },
    },
    404: notFoundResponse('application or message'),
    ...errorResponses,
  },
});

const byEndpoint = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/attempt/endpoint/{endpoint_id}',
  tags: ['Message attempt'],
  summary: 'Delivery attempts to one endpoint, newest first',
  request: { params: z.object({ app_id: Id, endpoint_id: Id }), query: AttemptListQuery.extend({ with_msg: QueryBool.optional() }) },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(MessageAttemptOut, 'ListResponseMessageAttemptOut') } },
    },
    404: notFoundResponse('application or endpoint'),
    ...errorResponses,
  },
});

const attemptedMessages = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/msg',
  tags: ['Message attempt'],
  summary: 'Messages sent to one endpoint, with their delivery state',
  request: {
    params: z.object({ app_id: Id, endpoint_id: Id }),
    query: AttemptListQuery.omit({ status_code_class: true }).extend({ status: StatusQuery.optional() }),
  },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(EndpointMessageOut, 'ListResponseEndpointMessageOut') } },
    },
    404: notFoundResponse('application or endpoint'),
    ...errorResponses,
  },
});

const destinations = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/msg/{msg_id}/endpoint',
  tags: ['Message attempt'],
  summary: 'Endpoints one message goes to, with their delivery state',
  request: {
    params: z.object({ app_id: Id, msg_id: Id }),
    query: z.object({ limit: QueryLimit, iterator: z.string().max(64).optional() }),
  },
  responses: {
    200: {
      description: 'A page',
      content: { 'application/json': { schema: listResponse(MessageEndpointOut, 'ListResponseMessageEndpointOut') } },
    },
    404: notFoundResponse('application or message'),
    ...errorResponses,
  },
});

const getOne = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/msg/{msg_id}/attempt/{attempt_id}',
  tags: ['Message attempt'],
  summary: 'One delivery attempt',
  request: { params: z.object({ app_id: Id, msg_id: Id, attempt_id: Id }), query: z.object({ expanded_statuses: QueryBool.optional() }) },
  responses: {
    200: { description: 'The attempt', content: { 'application/json': { schema: MessageAttemptOut } } },
    404: notFoundResponse('attempt'),
    ...errorResponses,
  },
});

async function messageScope(deps: ApiDeps, principal: Principal, appIdOrUid: string, msgIdOrEventId: string) {
  const application = await resolveApplication(deps.db, principal, appIdOrUid);
  const scope = { orgId: principal.orgId, appId: application.id };
  const message = await findMessage(deps.db, scope, msgIdOrEventId);
  if (!message) throw notFound('message');
  return { ...scope, messageId: message.id };
}

async function endpointScope(deps: ApiDeps, principal: Principal, appIdOrUid: string, endpointIdOrUid: string) {
  const application = await resolveApplication(deps.db, principal, appIdOrUid);
  const scope = { orgId: principal.orgId, appId: application.id };
  const endpoint = await findEndpoint(deps.db, scope, endpointIdOrUid);
  if (!endpoint) throw notFound('endpoint');
  return { ...scope, endpointId: endpoint.id };
}

const filterOf = (q: z.infer<typeof AttemptListQuery>) => ({
  limit: q.limit,
  iterator: q.iterator,
  status: q.status,
  statusCodeClass: q.status_code_class,
  channel: q.channel,
  tag: q.tag,
  eventTypes: q.event_types,
  before: q.before,
  after: q.after,
});

export function registerAttemptRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(byMessage, async (c) => {
    const { app_id, msg_id } = c.req.valid('param');
    const scope = await messageScope(deps, c.get('principal'), app_id, msg_id);
    const q = c.req.valid('query');
    let endpointId: string | undefined;
    if (q.endpoint_id) {
      const endpoint = await findEndpoint(deps.db, scope, q.endpoint_id);
      if (!endpoint) throw notFound('endpoint');
      endpointId = endpoint.id;
    }
    return c.json(await listAttempts(deps.db, scope, { ...filterOf(q), messageId: scope.messageId, endpointId }), 200);
  });

  app.openapi(byEndpoint, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const scope = await endpointScope(deps, c.get('principal'), app_id, endpoint_id);
    const q = c.req.valid('query');
    return c.json(
      await listAttempts(deps.db, scope, { ...filterOf(q), endpointId: scope.endpointId, withMessage: q.with_msg ?? false }),
      200,
    );
  });

  app.openapi(attemptedMessages, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const scope = await endpointScope(deps, c.get('principal'), app_id, endpoint_id);
    const q = c.req.valid('query');
    return c.json(await listEndpointMessages(deps.db, scope, { ...filterOf(q), withContent: q.with_content ?? true }), 200);
  });

  app.openapi(destinations, async (c) => {
    const { app_id, msg_id } = c.req.valid('param');
    const scope = await messageScope(deps, c.get('principal'), app_id, msg_id);
    return c.json(await listMessageDestinations(deps.db, scope, c.req.valid('query')), 200);
  });

  app.openapi(getOne, async (c) => {
    const { app_id, msg_id, attempt_id } = c.req.valid('param');
    const scope = await messageScope(deps, c.get('principal'), app_id, msg_id);
    const row = await findAttempt(deps.db, scope, attempt_id);
    if (!row) throw notFound('attempt');
    return c.json(attemptOut(row), 200);
  });
}
