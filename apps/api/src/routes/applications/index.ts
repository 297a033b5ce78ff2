import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { registerCreateApplication } from './create';
import { registerDeleteApplication } from './delete';
import { registerGetApplication } from './get';
import { registerListApplications } from './list';
import { registerPatchApplication } from './patch';
import { registerUpdateApplication } from './update';

export function registerApplicationRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  registerCreateApplication(app, deps);
  registerListApplications(app, deps);
  registerGetApplication(app, deps);
  registerUpdateApplication(app, deps);
  registerPatchApplication(app, deps);
  registerDeleteApplication(app, deps);
}
