import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { registerListDeadLetters } from './dead-letter-list';
import { registerReplayDeadLetter } from './dead-letter-replay';
import { registerRecover } from './recover';
import { registerResend } from './resend';
import { registerSendExample } from './send-example';

/** Manual delivery: resend one message, send an example, recover an endpoint, list and replay dead letters. */
export function registerOperationRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  registerResend(app, deps);
  registerSendExample(app, deps);
  registerRecover(app, deps);
  registerListDeadLetters(app, deps);
  registerReplayDeadLetter(app, deps);
}
