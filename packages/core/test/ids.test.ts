import { describe, expect, it } from 'vitest';
import { isId, newId } from '../src';

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
});
