import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
/** Lenient on length (secrets stored before the API's check still sign); `=` only as trailing padding. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decoded keys by secret string. Bounded: the oldest entry goes when it is full. */
const MAX_CACHED_KEYS = 10_000;
const keyCache = new Map<string, Buffer>();

export interface SignatureInput {
  messageId: string;
  /** A Date, or unix seconds. */
  timestamp: Date | number;
  /** The exact body sent: the signature covers these bytes (UTF-8). */
  body: string;
  /** Every secret currently signing: during rotation, the new one and the old one. */
  secrets: readonly string[];
}

export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The signing key of a Standard Webhooks secret: base64 after the optional
 * `whsec_` prefix. Cached, since it runs for every delivery. The error never
 * repeats the secret.
 */
export function decodeSecret(secret: string): Buffer {
  const cached = keyCache.get(secret);
  if (cached) return cached;
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded)) throw new Error('invalid webhook secret: expected base64 after the "whsec_" prefix');
  const key = Buffer.from(encoded, 'base64');
  if (key.length === 0) throw new Error('invalid webhook secret: the key is empty');
  if (keyCache.size >= MAX_CACHED_KEYS) keyCache.delete(keyCache.keys().next().value!);
  keyCache.set(secret, key);
  return key;
}

function unixSeconds(timestamp: Date | number): number {
  const seconds = timestamp instanceof Date ? Math.floor(timestamp.getTime() / 1000) : timestamp;
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new Error(`invalid webhook timestamp: ${String(timestamp)}`);
  return seconds;
}

/**
 * Standard Webhooks headers: `webhook-signature` is `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`, one per secret, space-separated (rotation).
 */
export function signatureHeaders(input: SignatureInput): SignatureHeaders {
  if (input.secrets.length === 0) throw new Error('signatureHeaders needs at least one secret');
  const timestamp = String(unixSeconds(input.timestamp));
  const signed = `${input.messageId}.${timestamp}.`;
  const signatures = input.secrets.map(
    (secret) => `v1,${createHmac('sha256', decodeSecret(secret)).update(signed).update(input.body).digest('base64')}`,
  );
  return { 'webhook-id': input.messageId, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
