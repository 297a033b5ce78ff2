import { EventTypeName } from '@herald/core';
import { insertExampleMessage, messageOut } from '@herald/db';
import { messagesIngested } from '@herald/runtime';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { ApiDeps, ApiEnv } from '../../context';
import { MessageOutSchema } from '../messages/schemas';
import { conflictResponse, errorResponses, notFoundResponse } from '../schemas';
import { Id } from './schemas';
import { endpointInScope, enqueueManual, refuseDisabled } from './shared';

/** Svix `EventExampleIn`, plus `payloadRetentionPeriod` as on a message. */
const EventExampleInSchema = z
  .strictObject({
    eventType: EventTypeName,
    // Accepted for client compatibility: Herald's example payload is fixed, not taken from the event type's schema.
    exampleIndex: z.number().int().min(0).max(1000).nullish(),
    payloadRetentionPeriod: z.number().int().min(1).max(90).nullish(),
  })
  .openapi('EventExampleIn');

const route = createRoute({
  method: 'post',
  path: '/api/v1/app/{app_id}/endpoint/{endpoint_id}/send-example',
  tags: ['Endpoint'],
  summary: 'Send an example message of an event type to this endpoint only',
  description:
    'Creates a message of `eventType` with the payload `{"type": eventType, "example": true, "sentAt": <ISO time>}` and ' +
    "queues it for this endpoint alone (the application's other endpoints never get it), as a manual attempt. " +
    "The event type's JSON Schema is not applied to the example. 409 when the endpoint is disabled.",
  request: {
    params: z.object({ app_id: Id, endpoint_id: Id }),
    body: { required: true, content: { 'application/json': { schema: EventExampleInSchema } } },
  },
  responses: {
    202: { description: 'Committed and queued', content: { 'application/json': { schema: MessageOutSchema } } },
    404: notFoundResponse('application or endpoint'),
    409: conflictResponse('The endpoint is disabled'),
    ...errorResponses,
  },
});

export function registerSendExample(app: OpenAPIHono<ApiEnv>, deps: ApiDeps) {
  app.openapi(route, async (c) => {
    const { app_id, endpoint_id } = c.req.valid('param');
    const { scope, endpoint } = await endpointInScope(deps, c.get('principal'), app_id, endpoint_id);
    refuseDisabled(endpoint);
    const { eventType } = c.req.valid('json');
    const payload = { type: eventType, example: true, sentAt: new Date().toISOString() };
    const { message, deliveryId } = await insertExampleMessage(deps.db, scope, { eventType, payload, endpointId: endpoint.id });
    messagesIngested.inc();
    await enqueueManual(deps, [deliveryId]);
    return c.json(messageOut(message), 202);
  });
}
