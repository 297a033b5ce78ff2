import { type HeraldConfig, KafkaEndpointSettings, QueueEndpointSettings, valueAtPath } from '@herald/core';
import type { ClaimedDelivery } from '@herald/db';
import { type KafkaPublisher, type SendFailure, type SendResult, signatureHeaders, type WebhookSender } from '@herald/delivery';
import type { WorkQueuePublisher } from '@herald/queue';

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
      const settings = KafkaEndpointSettings.safeParse(claim.endpoint.settings);
      if (!settings.success) return failed(started, 'invalid_settings', `invalid kafka settings: ${settings.error.issues[0]?.message}`);
      const brokers = settings.data.brokers ?? deps.config.kafkaBrokers;
      if (!brokers) return failed(started, 'invalid_settings', 'no Kafka brokers: set KAFKA_BROKERS or the endpoint’s brokers');
      const signature = signOrFail(() => ({ ...sign(claim, secrets) }), started);
      if (isResult(signature)) return signature;
      const keyValue = settings.data.key ? valueAtPath(JSON.parse(claim.message.body), settings.data.key) : undefined;
      const key =
        keyValue === undefined || keyValue === null
          ? claim.message.appId
          : typeof keyValue === 'string'
            ? keyValue
            : JSON.stringify(keyValue);
      try {
        await deps.kafka.publish(
          { brokers, ...(settings.data.ssl ? { ssl: true } : {}), ...(settings.data.sasl ? { sasl: settings.data.sasl } : {}) },
          {
            topic: settings.data.topic,
            key,
            value: claim.message.body,
            headers: { ...signature, 'herald-event-type': claim.message.eventType, 'herald-app-id': claim.message.appId },
          },
        );
        return {
          ok: true,
          statusCode: null,
          response: `acknowledged by ${settings.data.topic}`,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        return failed(started, 'connection', `kafka: ${error instanceof Error ? error.message : String(error)}`);
      }
    },

    async queue(claim) {
      const started = performance.now();
      const settings = QueueEndpointSettings.safeParse(claim.endpoint.settings);
      if (!settings.success) return failed(started, 'invalid_settings', `invalid queue settings: ${settings.error.issues[0]?.message}`);
      try {
        await deps.workQueues.publish(settings.data, `msg.${claim.message.id}`, {
          id: claim.message.id,
          eventType: claim.message.eventType,
          appId: claim.message.appId,
          timestamp: claim.message.createdAt.toISOString(),
          payload: JSON.parse(claim.message.body),
        });
        return {
          ok: true,
          statusCode: null,
          response: `queued on ${settings.data.queue}`,
          durationMs: Math.round(performance.now() - started),
        };
      } catch (error) {
        return failed(started, 'connection', `queue: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}
