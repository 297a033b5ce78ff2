import { HeraldError, notFound } from '@herald/core';
import {
  appStats,
  endpointStats,
  endpointsNeedingAttention,
  findEndpoint,
  MAX_STATS_BUCKETS,
  publishedEventTypes,
  STATS_BUCKETS,
  statsBucketCount,
} from '@herald/db';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { requireOrgScope, resolveApplication } from '../../tenancy';
import { QueryDate } from '../query';
import { errorResponses, notFoundResponse } from '../schemas';

const Id = z.string().min(1).max(256);

export const EndpointStatsOut = z
  .object({
    success: z.number().int(),
    fail: z.number().int(),
    pending: z.number().int(),
    sending: z.number().int(),
    canceled: z.number().int(),
  })
  .openapi('EndpointStats');

const BucketOut = z.object({
  start: z.string(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  p50DurationMs: z.number().nullable().openapi({ description: 'Median attempt duration in this bucket; null without attempts' }),
  p99DurationMs: z.number().nullable(),
});
const DeliveryStats = z.object({
  attempts: z.object({ succeeded: z.number().int(), failed: z.number().int() }),
  successRate: z.number().nullable(),
  p50DurationMs: z.number().nullable(),
  p99DurationMs: z.number().nullable(),
  backlog: z.number().int(),
  buckets: z.array(BucketOut),
});
export const AppStatsOut = DeliveryStats.extend({
  since: z.string(),
  until: z.string(),
  bucket: z.enum(['minute', 'hour', 'day']),
  endpoints: z.array(
    DeliveryStats.extend({
      endpointId: z.string(),
      uid: z.string().nullable(),
      health: z
        .object({
          consecutiveFailures: z.number().int(),
          failingSince: z.string().nullable(),
          circuitOpenUntil: z.string().nullable(),
        })
        .openapi({ description: "The endpoint's circuit breaker right now (not windowed): failures in a row, since when, open until" }),
    }),
  ),
}).openapi('AppStats');

const endpointRoute = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/stats',
  tags: ['Stats'],
  summary: "An endpoint's deliveries by status (Svix EndpointStats), optionally for messages created in [since, until)",
  request: {
    params: z.object({ app_id: Id, endpoint_id: Id }),
    query: z.object({ since: QueryDate.optional(), until: QueryDate.optional() }),
  },
  responses: {
    200: { description: 'The counts', content: { 'application/json': { schema: EndpointStatsOut } } },
    404: notFoundResponse('application or endpoint'),
    ...errorResponses,
  },
});

const appRoute = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/stats',
  tags: ['Stats'],
  summary: 'Attempt statistics of an application and each endpoint: success rate, time buckets, p50/p99 duration, backlog',
  request: {
    params: z.object({ app_id: Id }),
    query: z.object({
      bucket: z.enum(['minute', 'hour', 'day']).default('hour'),
      since: QueryDate.optional(),
      until: QueryDate.optional(),
    }),
  },
  responses: {
    200: { description: 'The statistics', content: { 'application/json': { schema: AppStatsOut } } },
    404: notFoundResponse('application'),
    ...errorResponses,
  },
});

export const EndpointAttentionOut = z
  .object({
    data: z
      .array(
        z.object({
          endpointId: z.string().openapi({ description: 'The endpoint', example: 'ep_2vBq8hXkR1nJ3sQ0aZ7yLm' }),
          appId: z.string().openapi({ description: 'Its application', example: 'app_2vBq8fTz0cW6pE1kN4rHdQ' }),
          uid: z.string().nullable().openapi({ description: "The endpoint's uid, if it has one", example: 'billing-eu' }),
          url: z.string().openapi({
            description: 'Where it delivers; empty for Kafka and queue endpoints',
            example: 'https://billing.example.com/webhooks',
          }),
          description: z.string().openapi({ description: "The endpoint's description", example: 'Billing service (EU)' }),
          type: z.string().openapi({ description: 'webhook, kafka or queue', example: 'webhook' }),
          disabled: z.boolean().openapi({ description: 'Disabled (by an operator, or after failing too long)', example: false }),
          health: z
            .object({
              consecutiveFailures: z.number().int().openapi({ description: 'Failed attempts in a row', example: 12 }),
              failingSince: z
                .string()
                .nullable()
                .openapi({ description: 'When the current run of failures began', example: '2026-01-01T11:58:00.000Z' }),
              circuitOpenUntil: z.string().nullable().openapi({
                description: 'While in the future, nothing is sent to the endpoint but a probe',
                example: '2026-01-01T12:05:00.000Z',
              }),
              circuitTrips: z.number().int().openapi({ description: 'Times the circuit opened since the last success', example: 2 }),
            })
            .openapi({ description: "The endpoint's circuit breaker right now" }),
        }),
      )
      .openapi({ description: 'Open circuits first, then the longest failing; at most 100' }),
  })
  .openapi('EndpointAttentionList');

const attentionRoute = createRoute({
  method: 'get',
  path: '/api/v1/stats/endpoint-health',
  tags: ['Stats'],
  summary: "The organization's endpoints failing right now: failures in a row, an open circuit, or disabled after failing",
  description:
    'Open circuits first, then the longest failing; at most 100. A live overview keeps these on screen although an open circuit ' +
    'makes no attempts to show.',
  responses: {
    200: { description: 'The endpoints', content: { 'application/json': { schema: EndpointAttentionOut } } },
    ...errorResponses,
  },
});

export const PublishedEventTypesOut = z
  .object({
    data: z
      .array(
        z.object({
          eventType: z.string().openapi({ description: 'An event type messages were published with', example: 'invoice.paid' }),
          lastPublishedAt: z
            .string()
            .openapi({ description: 'When the newest of those messages was published', example: '2026-01-01T12:00:00.000Z' }),
        }),
      )
      .openapi({ description: 'Most recently used first; at most 250' }),
  })
  .openapi('PublishedEventTypes');

const publishedRoute = createRoute({
  method: 'get',
  path: '/api/v1/app/{app_id}/stats/event-types',
  tags: ['Stats'],
  summary: "The event types of an application's recent messages (the latest 10,000), registered or not, most recently used first",
  request: { params: z.object({ app_id: Id }) },
  responses: {
    200: { description: 'The event types', content: { 'application/json': { schema: PublishedEventTypesOut } } },
    404: notFoundResponse('application'),
    ...errorResponses,
  },
});

const DAY_MS = 86_400_000;

function invalid(path: string, message: string): HeraldError {
  return new HeraldError('validation', `${path}: ${message}`, [{ path, message }]);
}

export function registerStatsRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(endpointRoute, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const principal = c.get('principal');
    const application = await resolveApplication(deps.db, principal, app_id);
    const scope = { orgId: principal.orgId, appId: application.id };
    const endpoint = await findEndpoint(deps.db, scope, endpoint_id);
    if (!endpoint) throw notFound('endpoint');
    const { since, until } = c.req.valid('query');
    return c.json(await endpointStats(deps.db, { ...scope, endpointId: endpoint.id }, { since, until }), 200);
  });

  app.openapi(appRoute, async (c) => {
    const { app_id } = c.req.valid('param');
    const principal = c.get('principal');
    const application = await resolveApplication(deps.db, principal, app_id);
    const q = c.req.valid('query');
    // Defaults: the last day, or the day before `until`.
    const until = q.until ?? new Date();
    const since = q.since ?? new Date(until.getTime() - DAY_MS);
    if (since.getTime() >= until.getTime()) throw invalid('query.since', 'must be before until');
    const buckets = statsBucketCount(q.bucket, since, until);
    if (buckets > MAX_STATS_BUCKETS) {
      const most = (MAX_STATS_BUCKETS * STATS_BUCKETS[q.bucket]) / 3_600_000;
      throw invalid('query.since', `spans ${buckets} ${q.bucket} buckets; at most ${MAX_STATS_BUCKETS} (${most} hours) are allowed`);
    }
    return c.json(await appStats(deps.db, { orgId: principal.orgId, appId: application.id }, { bucket: q.bucket, since, until }), 200);
  });

  app.openapi(attentionRoute, async (c) => {
    const principal = c.get('principal');
    requireOrgScope(principal);
    return c.json({ data: await endpointsNeedingAttention(deps.db, { orgId: principal.orgId }, 100) }, 200);
  });

  app.openapi(publishedRoute, async (c) => {
    const principal = c.get('principal');
    const application = await resolveApplication(deps.db, principal, c.req.valid('param').app_id);
    const data = await publishedEventTypes(deps.db, { orgId: principal.orgId, appId: application.id }, { scan: 10_000, limit: 250 });
    return c.json({ data }, 200);
  });
}
