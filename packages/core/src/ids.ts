import { randomFillSync } from 'node:crypto';

/** One table of prefixes: an id says what it names. */
export const ID_PREFIXES = {
  organization: 'org',
  apiKey: 'key',
  application: 'app',
  eventType: 'etype',
  endpoint: 'ep',
  message: 'msg',
  delivery: 'dlv',
  attempt: 'atmpt',
  operator: 'op',
  operatorSession: 'ses',
  replayTask: 'qtask',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 22; // 62^22 > 2^128, so 16 bytes always fit
const TIME_BYTES = 6;
const RANDOM_BYTES = 10;

/**
 * Random bytes are drawn from the CSPRNG a pool at a time: one system call per
 * 409 ids instead of one per id (with the BigInt arithmetic it replaced, the
 * API spent 4 % of its time at saturation making ids).
 */
const pool = Buffer.allocUnsafe(RANDOM_BYTES * 409);
let poolOffset = pool.length;

/** Copies `length` fresh random bytes into `target` at `at`. */
function fillRandom(target: Uint8Array, at: number, length: number): void {
  if (length > pool.length) {
    randomFillSync(target, at, length);
    return;
  }
  if (poolOffset + length > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(target, at, poolOffset, poolOffset + length);
  // Spent bytes are never handed out twice.
  poolOffset += length;
}

/** `length` random bytes as base64url text (request ids). */
export function randomBase64Url(length: number): string {
  const bytes = Buffer.allocUnsafe(length);
  fillRandom(bytes, 0, length);
  return bytes.toString('base64url');
}

/** Reused by every call: newId runs to completion, so no two calls share it at once. */
const scratch = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);

/**
 * `prefix_` + 22 base62 characters encoding 48 bits of milliseconds and 80
 * random bits. Fixed width and an ASCII-ordered alphabet make ids sort by
 * creation time as plain strings, which keyset pagination relies on.
 */
export function newId(kind: IdKind, now: number = Date.now()): string {
  scratch.writeUIntBE(now, 0, TIME_BYTES);
  fillRandom(scratch, TIME_BYTES, RANDOM_BYTES);
  // Base 62 by long division of the 16-byte big-endian number, least significant digit first.
  let body = '';
  for (let digit = 0; digit < BODY_LENGTH; digit++) {
    let remainder = 0;
    for (let i = 0; i < scratch.length; i++) {
      const value = remainder * 256 + (scratch[i] as number);
      scratch[i] = Math.floor(value / 62);
      remainder = value % 62;
    }
    body = ALPHABET[remainder] + body;
  }
  return `${ID_PREFIXES[kind]}_${body}`;
}

const ID_PATTERN = /^[a-z]+_[0-9A-Za-z]{22}$/;

export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_PATTERN.test(value);
}
