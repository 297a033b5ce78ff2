import { randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/** A fresh endpoint signing secret: `whsec_` + base64 of 24 random bytes (Standard Webhooks). */
export function newEndpointSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

/** The stored form of a caller-chosen secret: always `whsec_`-prefixed. */
export function normalizeEndpointSecret(input: string): string {
  return input.startsWith(SECRET_PREFIX) ? input : SECRET_PREFIX + input;
}

/**
 * What an endpoint secret must look like, the one rule the API checks and the
 * signer relies on: optionally `whsec_`, then 32 to 100 characters of base64,
 * with `=` only as trailing padding (at most two). A secret with `=` inside
 * would be accepted by a looser pattern and then refused by the signer, every
 * delivery failing for good.
 */
export const ENDPOINT_SECRET_PATTERN = /^(whsec_)?[A-Za-z0-9+/]+={0,2}$/;

export function isEndpointSecret(value: string): boolean {
  if (!ENDPOINT_SECRET_PATTERN.test(value)) return false;
  const encoded = value.startsWith(SECRET_PREFIX) ? value.length - SECRET_PREFIX.length : value.length;
  return encoded >= 32 && encoded <= 100;
}
