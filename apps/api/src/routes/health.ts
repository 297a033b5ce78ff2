import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { ApiDeps, ApiEnv } from '../context';
import { ErrorOut } from './schemas';

const Check = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number(),
  error: z.string().optional(),
});

export const HealthOut = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    checks: z.object({ database: Check, queue: Check.extend({ backend: z.enum(['redis', 'postgres']) }) }),
  })
  .openapi('HealthOut');
export type HealthOut = z.infer<typeof HealthOut>;

const tooLarge = {
  431: {
    description: 'The request line and headers exceed 64 KiB',
    content: { 'application/json': { schema: ErrorOut } },
  },
};

const route = createRoute({
  method: 'get',
  path: '/api/v1/health',
  tags: ['Health'],
  summary: 'Check the database and the queue',
  description:
    'Public: no API key. Runs `select 1` against PostgreSQL and pings the queue backend, each bounded by 2 s, and says which ' +
    'answered and how fast. 200 when both are up, 503 when either is down (the body says which). For a load balancer that ' +
    'only needs to know the process answers, use `GET /api/v1/health/ping`.',
  security: [],
  responses: {
    200: { description: 'Everything answers', content: { 'application/json': { schema: HealthOut } } },
    503: { description: 'Something is down; `checks` says what', content: { 'application/json': { schema: HealthOut } } },
    ...tooLarge,
  },
});

const ping = createRoute({
  method: 'get',
  path: '/api/v1/health/ping',
  tags: ['Health'],
  summary: 'Liveness: the API process answers',
  description:
    'Public: no API key. Answers 204 without touching the database or the queue, so a liveness probe does not restart a ' +
    'healthy process while PostgreSQL is away (use `GET /api/v1/health` for readiness).',
  security: [],
  responses: { 204: { description: 'The process is up' }, ...tooLarge },
});

const CHECK_TIMEOUT_MS = 2000;

async function probe(run: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return {
      status: 'down',
      latencyMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : 'unreachable',
    };
  } finally {
    clearTimeout(timer);
  }
}

export function registerHealth(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(ping, (c) => c.body(null, 204));
  app.openapi(route, async (c) => {
    const [database, queue] = await Promise.all([
      probe(() => deps.db.execute(sql`select 1`)),
      probe(() => deps.queue.ping(CHECK_TIMEOUT_MS)),
    ]);
    const body: HealthOut = {
      status: database.status === 'up' && queue.status === 'up' ? 'ok' : 'unavailable',
      checks: { database, queue: { ...queue, backend: deps.queue.kind } },
    };
    return body.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
  });
}
