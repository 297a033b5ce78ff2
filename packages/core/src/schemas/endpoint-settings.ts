import { z } from 'zod';

const BrokerAddress = z.string().regex(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, 'must be host:port');

/** A dotted path into the payload whose value becomes the Kafka message key (same key → same partition → ordered). */
const PayloadPath = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_\-$]+(\.[A-Za-z0-9_\-$]+)*$/, 'must be a dotted path such as data.customerId');

/** Settings of a `kafka` endpoint. Without `brokers`, Herald's own cluster (KAFKA_BROKERS) is used. */
export const KafkaEndpointSettings = z.strictObject({
  topic: z
    .string()
    .min(1)
    .max(249)
    .regex(/^[A-Za-z0-9._-]+$/, 'must be a valid Kafka topic name'),
  key: PayloadPath.optional(),
  brokers: z.array(BrokerAddress).min(1).max(16).optional(),
  ssl: z.boolean().optional(),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string().min(1).max(256),
      password: z.string().min(1).max(1024),
    })
    .optional(),
});
export type KafkaEndpointSettings = z.infer<typeof KafkaEndpointSettings>;

/** Settings of a `queue` endpoint: a BullMQ queue that internal services consume with an ordinary Worker. */
export const QueueEndpointSettings = z.strictObject({
  queue: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[A-Za-z0-9._-]+$/, 'may contain only letters, digits, ".", "_" and "-"'),
  /** BullMQ key prefix the consumers use (BullMQ's default is `bull`). */
  prefix: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/)
    .optional(),
  /** Another Redis than Herald's own. */
  redisUrl: z
    .string()
    .max(2048)
    .refine((value) => /^rediss?:\/\//.test(value), 'must be a redis:// or rediss:// URL')
    .optional(),
});
export type QueueEndpointSettings = z.infer<typeof QueueEndpointSettings>;

/** Reads the value at a dotted path of a parsed payload (array indexes as numbers). */
export function valueAtPath(payload: unknown, path: string): unknown {
  let node: unknown = payload;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
