import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { registerCreateEndpoint } from './create';
import { registerDeleteEndpoint } from './delete';
import { registerGetEndpoint } from './get';
import { registerGetEndpointHeaders } from './headers-get';
import { registerPatchEndpointHeaders } from './headers-patch';
import { registerUpdateEndpointHeaders } from './headers-update';
import { registerListEndpoints } from './list';
import { registerPatchEndpoint } from './patch';
import { registerGetEndpointSecret } from './secret-get';
import { registerRotateEndpointSecret } from './secret-rotate';
import { registerUpdateEndpoint } from './update';

export function registerEndpointRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  registerCreateEndpoint(app, deps);
  registerListEndpoints(app, deps);
  registerGetEndpoint(app, deps);
  registerUpdateEndpoint(app, deps);
  registerPatchEndpoint(app, deps);
  registerDeleteEndpoint(app, deps);
  registerGetEndpointHeaders(app, deps);
  registerUpdateEndpointHeaders(app, deps);
  registerPatchEndpointHeaders(app, deps);
  registerGetEndpointSecret(app, deps);
  registerRotateEndpointSecret(app, deps);
}
