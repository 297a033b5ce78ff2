import { randomBytes } from 'node:crypto';

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
const BASE = BigInt(ALPHABET.length);

/**
 * `prefix_` + 22 base62 characters encoding 48 bits of milliseconds and 80
 * random bits. Fixed width and an ASCII-ordered alphabet make ids sort by
 * creation time as plain strings, which keyset pagination relies on.
 */
export function newId(kind: IdKind, now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  let value = BigInt(`0x${bytes.toString('hex')}`);
  const chars = new Array<string>(BODY_LENGTH);
  for (let i = BODY_LENGTH - 1; i >= 0; i--) {
    chars[i] = ALPHABET[Number(value % BASE)] as string;
    value /= BASE;
  }
  return `${ID_PREFIXES[kind]}_${chars.join('')}`;
}

const ID_PATTERN = /^[a-z]+_[0-9A-Za-z]{22}$/;

export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_PATTERN.test(value);
}
