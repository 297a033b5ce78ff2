import type { HeraldConfig } from '@herald/core';
import type { ClaimedDelivery } from '@herald/db';
import { type KafkaPublisher, type SendFailure, type SendResult, signatureHeaders, type WebhookSender } from '@herald/delivery';
import type { WorkQueuePublisher } from '@herald/queue';
import { kafkaTarget, publishFailure, queueTarget } from './destination-targets';

/** One attempt at one destination; never throws (a failure is a result with a reason). */
export type Destination = (claim: ClaimedDelivery, secrets: string[]) => Promise<SendResult>;

const failed = (started: number, failure: SendFailure, response: string): SendResult => ({
  ok: false,
  statusCode: null,
  response: response.slice(0, 1024),
  durationMs: Math.round(performance.now() - started),
  failure,
});

/** Signing fails only on a secret the signer cannot use: a final failure, with the signer's reason. */
function signOrFail(sign: () => Record<string, string>, started: number): Record<string, string> | SendResult {
  try {
    return sign();
  } catch (error) {
    return failed(started, 'invalid_secret', error instanceof Error ? error.message : String(error));
  }
}

const isResult = (value: Record<string, string> | SendResult): value is SendResult => typeof value.ok === 'boolean';

/** The secrets that sign for an endpoint now: its own, and the one it replaced while the rotation's grace period lasts. */
export function signingSecrets(endpoint: ClaimedDelivery['endpoint'], now = Date.now()): string[] {
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > now) {
    secrets.push(endpoint.previousSecret);
  }
  return secrets;
}

/**
 * The three endpoint types. Each gets the same stored bytes, the same
 * `webhook-id` (the message id) and the same Standard Webhooks signature, so a
 * consumer verifies and deduplicates the same way whatever carried the message.
 */
export function createDestinations(deps: {
  config: HeraldConfig;
  sender: WebhookSender;
  kafka: KafkaPublisher;
  workQueues: WorkQueuePublisher;
}): Record<ClaimedDelivery['endpoint']['type'], Destination> {
  const sign = (claim: ClaimedDelivery, secrets: string[]) =>
    signatureHeaders({ messageId: claim.message.id, timestamp: new Date(), body: claim.message.body, secrets });

  return {
    async webhook(claim, secrets) {
      const signature = signOrFail(() => ({ ...sign(claim, secrets) }), performance.now());
      if (isResult(signature)) return signature;
      return deps.sender.send({ url: claim.endpoint.url, headers: { ...claim.endpoint.headers, ...signature }, body: claim.message.body });
    },

    async kafka(claim, secrets) {
      const started = performance.now();
      const target = kafkaTarget(claim.endpoint, deps.config);
      if ('failure' in target) return failed(started, target.failure, target.reason);
      const signature = signOrFail(() => ({ ...sign(claim, secrets) }), started);
      if (isResult(signature)) return signature;
      try {
        await deps.kafka.publish(target.cluster, {
          topic: target.topic,
          key: target.keyOf(claim.message.body, claim.message.appId),
          value: claim.message.body,
          headers: { ...signature, 'herald-event-type': claim.message.eventType, 'herald-app-id': claim.message.appId },
        });
        return {
          ok: true,
          statusCode: null,
          response: `acknowledged by ${target.topic}`,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        const { failure, reason } = publishFailure('kafka', error, target.cluster.external ?? false);
        return failed(started, failure, reason);
      }
    },

    async queue(claim) {
      const started = performance.now();
      const target = queueTarget(claim.endpoint);
      if ('failure' in target) return failed(started, target.failure, target.reason);
      try {
        await deps.workQueues.publish(target, `msg.${claim.message.id}`, {
          id: claim.message.id,
          eventType: claim.message.eventType,
          appId: claim.message.appId,
          timestamp: claim.message.createdAt.toISOString(),
          payload: JSON.parse(claim.message.body),
        });
        return { ok: true, statusCode: null, response: `queued on ${target.queue}`, durationMs: Math.round(performance.now() - started) };
      } catch (error) {
        const { failure, reason } = publishFailure('queue', error, target.redisUrl !== undefined);
        return failed(started, failure, reason);
      }
    },
  };
}
