import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactNumber, inspectJsonText } from '../src/json-text';

describe('inspectJsonText', () => {
  it.each([
    ['{"payload":{"s":"\\ud800"}}', ['payload', 's'], 'lone UTF-16 surrogate'],
    ['{"payload":{"s":"\\udc00x"}}', ['payload', 's'], 'lone UTF-16 surrogate'],
    ['{"payload":{"\\ud800":1}}', ['payload', '(a key)'], 'lone UTF-16 surrogate'],
    ['{"a":[1,2,"\\u0000"]}', ['a', '2'], 'NUL'],
    ['{"metadata":{"k":"a\\u0000b"}}', ['metadata', 'k'], 'NUL'],
    ['{"s":"\\ud83d\\n\\ude00"}', ['s'], 'lone UTF-16 surrogate'],
  ])('finds what PostgreSQL cannot store in %s', (text, path, words) => {
    const problem = inspectJsonText(text);
    expect(problem).toMatchObject({ kind: 'unstorable', path });
    expect(problem?.message).toContain(words);
  });

  it.each([
    ['{"payload":{"n":1e400}}', ['payload', 'n'], 'out of range'],
    ['{"payload":{"n":-1e400}}', ['payload', 'n'], 'out of range'],
    ['{"payload":{"n":123456789012345678901234567890}}', ['payload', 'n'], 'more precision'],
    ['{"payload":{"list":[0, 9007199254740993]}}', ['payload', 'list', '1'], 'more precision'],
    ['{"payload":{"n":1.00000000000000000001}}', ['payload', 'n'], 'more precision'],
    ['{"payload":{"n":-0}}', ['payload', 'n'], '-0'],
    ['{"payload":{"a":1,"a":2}}', ['payload', 'a'], 'more than once'],
  ])('finds what would be stored changed in %s', (text, path, words) => {
    const problem = inspectJsonText(text);
    expect(problem).toMatchObject({ kind: 'inexact', path });
    expect(problem?.message).toContain(words);
  });

  it.each([
    '{"payload":{"emoji":"\\ud83d\\ude00","raw":"😀","n":[1.5,15e-1,0.1,1e300,9007199254740992,-42,0,1.0]}}',
    '{"payload":{"__proto__":{"x":1},"constructor":2}}',
    '{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":2}]}',
    '  [ ]  ',
    '"just a string"',
    '{}',
  ])('passes what is kept exactly: %s', (text) => {
    expect(inspectJsonText(text)).toBeNull();
  });

  it('leaves text that is not JSON to JSON.parse', () => {
    for (const text of ['{', '{"a":}', '{"a":1,}', '[1 2]', 'nul', '{"a":"\\x"}', '{"a":01}']) expect(inspectJsonText(text)).toBeNull();
  });

  it('agrees with a round trip through JSON for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const problem = inspectJsonText(text);
        // JSON.stringify writes -0 as 0 and never repeats a key: whatever it writes is kept as is.
        expect(problem).toBeNull();
        expect(JSON.stringify(JSON.parse(text))).toBe(text);
      }),
    );
  });
});

describe('exactNumber', () => {
  it('accepts every double written back as itself', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        if (Object.is(value, -0)) return;
        expect(exactNumber(String(value))).toBe(true);
      }),
    );
  });

  it('agrees that decimals of fifteen digits or fewer are exact (the inspector does not convert those)', () => {
    const literal = fc
      .tuple(fc.boolean(), fc.stringMatching(/^[1-9][0-9]{0,14}$/), fc.nat({ max: 15 }))
      .filter(([, digits, point]) => point < digits.length)
      .map(
        ([negative, digits, point]) => `${negative ? '-' : ''}${point === 0 ? digits : `${digits.slice(0, point)}.${digits.slice(point)}`}`,
      );
    fc.assert(
      fc.property(literal, (text) => {
        expect(exactNumber(text)).toBe(true);
        expect(inspectJsonText(`[${text}]`)).toBeNull();
      }),
    );
  });

  it('judges decimal spellings by value', () => {
    expect(exactNumber('100')).toBe(true);
    expect(exactNumber('1e2')).toBe(true);
    expect(exactNumber('0.000001')).toBe(true);
    expect(exactNumber('1E-7')).toBe(true);
    expect(exactNumber('0.1000000000000000055511151231257827')).toBe(false);
    expect(exactNumber('2e-400')).toBe(false);
  });
});
