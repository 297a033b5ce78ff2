import { METRICS_CONTENT_TYPE, renderMetrics } from '@herald/runtime';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';

/**
 * `GET /metrics`: Prometheus text exposition, outside /api/v1 and without an
 * API key (protect it at the network edge). Not in the OpenAPI document.
 */
export function registerMetrics(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.get('/metrics', async (c) => {
    const body = await renderMetrics(deps.db);
    return c.body(body, 200, { 'content-type': METRICS_CONTENT_TYPE });
  });
}
