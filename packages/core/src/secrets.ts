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
