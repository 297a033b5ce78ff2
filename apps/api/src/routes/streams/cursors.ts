import { isId } from '@herald/core';

/**
 * Message ids (`msg_` + 22 base62 characters) encode 48 bits of milliseconds
 * then 80 random bits, fixed width in an ASCII-ordered alphabet, so they sort
 * by creation time as plain strings (under the C collation Herald's databases
 * use). The message stream's cursor is such an id; these helpers make the ids
 * that bound a moment in time.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE = BigInt(ALPHABET.length);
const BODY_LENGTH = 22;
const RANDOM_BITS = 80n;

function encode(value: bigint): string {
  const chars = new Array<string>(BODY_LENGTH);
  let rest = value;
  for (let i = BODY_LENGTH - 1; i >= 0; i--) {
    chars[i] = ALPHABET[Number(rest % BASE)] as string;
    rest /= BASE;
  }
  return chars.join('');
}

/**
 * The greatest possible message id made before `ms` (epoch milliseconds):
 * every id made at `ms` or later sorts after it, every id made earlier sorts
 * at or before it. `id > messageCursorBefore(t)` means "made at t or later".
 */
export function messageCursorBefore(ms: number): string {
  const at = BigInt(Math.max(0, Math.floor(ms)));
  if (at === 0n) return 'msg_';
  return `msg_${encode((at << RANDOM_BITS) - 1n)}`;
}

export const isMessageCursor = (value: string) => isId('message', value);
