import { HeraldError, isId, notFound } from '@herald/core';
import { findApplicationCached, forgetCachedApplications, insertApplication, insertMessage, messageOut } from '@herald/db';
import { messagesIngested } from '@herald/runtime';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv, Principal } from '../../context';
import { mayUseApplication, resolveApplication } from '../../tenancy';
import { QueryBool } from '../query';
import { errorResponses } from '../schemas';
import { AppParam, MessageInSchema, MessageOutSchema } from './schemas';

const route = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/msg',
  tags: ['Message'],
  summary: 'Publish a message: committed before the answer, then fanned out to every matching endpoint',
  request: {
    params: AppParam,
    query: z.object({ with_content: QueryBool.optional() }),
    body: { required: true, content: { 'application/json': { schema: MessageInSchema } } },
  },
  responses: {
    202: { description: 'Committed; delivery follows', content: { 'application/json': { schema: MessageOutSchema } } },
    404: { ...errorResponses[400], description: 'No such application' },
    409: { ...errorResponses[400], description: 'The eventId was already used in this application' },
    ...errorResponses,
  },
});

/** Svix creates the application on first message when the body carries `application`. */
async function applicationForMessage(deps: ApiDeps, principal: Principal, idOrUid: string, application: unknown) {
  // The application usually exists, and was looked up a moment ago (a short-lived cache).
  const existing = await findApplicationCached(deps.db, principal.orgId, idOrUid);
  if (existing) {
    if (!mayUseApplication(principal, existing.id)) throw notFound('application');
    return existing;
  }
  if (!application || principal.scope === 'app' || isId('application', idOrUid)) throw notFound('application');
  const spec = application as { name: string; uid?: string | null };
  if (spec.uid && spec.uid !== idOrUid) {
    throw new HeraldError('validation', 'body.application.uid must match the application in the path', [
      { path: 'body.application.uid', message: 'must match the path' },
    ]);
  }
  const created = await insertApplication(deps.db, principal.orgId, { ...spec, uid: idOrUid } as never);
  // Lost a race with a concurrent first message: use the winner's row.
  return created ?? (await resolveApplication(deps.db, principal, idOrUid));
}

export function registerCreateMessage(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const principal = c.get('principal');
    const input = c.req.valid('json');
    const application = await applicationForMessage(deps, principal, c.req.valid('param').app_id, input.application);
    await deps.payloadSchemas?.check(principal.orgId, input.eventType, input.payload);
    const row = await insertMessage(deps.db, { orgId: principal.orgId, appId: application.id }, input).catch((error: unknown) => {
      // The cached application was deleted (with its organization, or by another API process) in the meantime.
      if (!isForeignKeyViolation(error)) throw error;
      forgetCachedApplications(deps.db);
      throw notFound('application');
    });
    if (!row) throw new HeraldError('conflict', `a message with eventId "${input.eventId}" already exists in this application`);
    messagesIngested.inc();
    // Debug only (ingest's hot path); with it on, a request id leads to its message id.
    c.get('log').debug('message accepted', { messageId: row.id, appId: application.id, eventType: input.eventType });
    deps.dispatcher?.schedule({ id: row.id, deliverAt: row.deliverAt });
    return c.json(messageOut(row, c.req.valid('query').with_content ?? true), 202);
  });
}

function isForeignKeyViolation(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 3; depth++) {
    if ((current as { code?: unknown }).code === '23503') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
