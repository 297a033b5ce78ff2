import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { registerCreateApplication } from './create';
import { registerGetApplication } from './get';
import { registerListApplications } from './list';

export function registerApplicationRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  registerCreateApplication(app, deps);
  registerListApplications(app, deps);
  registerGetApplication(app, deps);
}
