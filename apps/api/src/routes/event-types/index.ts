import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { registerCreateEventType } from './create';
import { registerDeleteEventType } from './delete';
import { registerGetEventType } from './get';
import { registerListEventTypes } from './list';
import { registerPatchEventType } from './patch';
import { registerUpdateEventType } from './update';

/**
 * PUT is registered (and so documented) last on its path: route-walking tests
 * that PUT with another organization's key create that name in their own
 * organization, which later methods on the same path would then find.
 */
export function registerEventTypeRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  registerListEventTypes(app, deps);
  registerCreateEventType(app, deps);
  registerGetEventType(app, deps);
  registerPatchEventType(app, deps);
  registerDeleteEventType(app, deps);
  registerUpdateEventType(app, deps);
}
