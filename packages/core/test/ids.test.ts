import { describe, expect, it } from 'vitest';
import { isId, newId, randomBase64Url } from '../src';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('ids', () => {
  it('carries the prefix of its kind and a fixed-width body', () => {
    const id = newId('application');
    expect(id).toMatch(/^app_[0-9A-Za-z]{22}$/);
    expect(isId('application', id)).toBe(true);
    expect(isId('endpoint', id)).toBe(false);
  });

  it('sorts by creation time as a plain string', () => {
    const times = [0, 1, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 47];
    const ids = times.map((t) => newId('message', t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('does not repeat within one millisecond', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('attempt', now)));
    expect(ids.size).toBe(10_000);
  });

  it('encodes the creation time in its top 48 bits and 80 random bits below, in base 62', () => {
    const decode = (id: string) =>
      [...id.slice(id.indexOf('_') + 1)].reduce((value, char) => value * 62n + BigInt(ALPHABET.indexOf(char)), 0n);
    for (const now of [0, 1, 255, 256, 1_700_000_000_000, 2 ** 48 - 1]) {
      const values = Array.from({ length: 200 }, () => decode(newId('message', now)));
      for (const value of values) expect(value >> 80n).toBe(BigInt(now));
      // 80 random bits: 200 draws never collide, and every byte position varies.
      expect(new Set(values).size).toBe(200);
      for (let byte = 0; byte < 10; byte++) {
        expect(new Set(values.map((value) => (value >> BigInt(8 * byte)) & 0xffn)).size).toBeGreaterThan(100);
      }
    }
  });

  it('keeps drawing fresh random bits across refills of its pool', () => {
    const ids = new Set(Array.from({ length: 5_000 }, () => newId('delivery', 1)));
    expect(ids.size).toBe(5_000);
    const tokens = new Set(Array.from({ length: 5_000 }, () => randomBase64Url(12)));
    expect(tokens.size).toBe(5_000);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});
