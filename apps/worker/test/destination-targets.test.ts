import { loadConfig } from '@herald/core';
import type { ClaimedDelivery } from '@herald/db';
import { RefusedAddressError } from '@herald/delivery';
import { describe, expect, it } from 'vitest';
import { kafkaTarget, publishFailure, queueTarget } from '../src/destination-targets';

const endpoint = (type: 'kafka' | 'queue', settings: Record<string, unknown>) =>
  ({ orgId: 'org_a', type, settings }) as unknown as ClaimedDelivery['endpoint'];
const config = loadConfig({ KAFKA_BROKERS: 'kafka.internal:9092' });

describe('names', () => {
  it('scope topics and queues on Herald’s own cluster and store to the organization', () => {
    expect(kafkaTarget(endpoint('kafka', { topic: 'orders' }), config)).toMatchObject({
      topic: 'org_a.orders',
      cluster: { brokers: ['kafka.internal:9092'], external: false },
    });
    expect(queueTarget(endpoint('queue', { queue: 'jobs', prefix: 'herald' }))).toEqual({ queue: 'org_a.jobs', prefix: 'herald' });
  });

  it('leave them as given on a cluster or Redis the endpoint names', () => {
    expect(kafkaTarget(endpoint('kafka', { topic: 'orders', brokers: ['b.example.com:9092'] }), config)).toMatchObject({
      topic: 'orders',
      cluster: { external: true },
    });
    expect(queueTarget(endpoint('queue', { queue: 'jobs', redisUrl: 'redis://r.example.com' }))).toEqual({
      queue: 'jobs',
      redisUrl: 'redis://r.example.com',
    });
  });
});

describe('publishFailure', () => {
  const connectionError = Object.assign(new Error('Connection error: connect ECONNREFUSED 203.0.113.9:9092'), {
    name: 'KafkaJSConnectionError',
  });

  it('makes a refusal of the outbound policy final, in the policy’s words', () => {
    const wrapped = Object.assign(new Error('retries exceeded'), {
      originalError: new RefusedAddressError('address 10.0.0.1 is in a private range'),
    });
    expect(publishFailure('kafka', wrapped, true)).toEqual({
      failure: 'refused_address',
      reason: 'kafka: refused by the outbound policy: address 10.0.0.1 is in a private range',
    });
  });

  it('does not tell a tenant what answered at a cluster it named', () => {
    expect(publishFailure('kafka', connectionError, true)).toEqual({
      failure: 'connection',
      reason: 'kafka: could not reach the endpoint’s brokers',
    });
    expect(publishFailure('queue', new Error('connect ECONNRESET'), true)).toEqual({
      failure: 'connection',
      reason: 'queue: could not reach the endpoint’s Redis',
    });
  });

  it('keeps a broker’s own answer, and the full text for Herald’s own cluster', () => {
    const protocol = Object.assign(new Error('This server does not host this topic-partition'), { name: 'KafkaJSProtocolError' });
    expect(publishFailure('kafka', protocol, true).reason).toBe('kafka: This server does not host this topic-partition');
    expect(publishFailure('kafka', connectionError, false).reason).toContain('ECONNREFUSED');
  });
});
