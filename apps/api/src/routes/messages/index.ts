import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { registerCreateMessage } from './create';
import { registerExpungeMessageContent } from './expunge';
import { registerGetMessage } from './get';
import { registerListMessages } from './list';

export function registerMessageRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  registerCreateMessage(app, deps);
  registerListMessages(app, deps);
  registerGetMessage(app, deps);
  registerExpungeMessageContent(app, deps);
}
