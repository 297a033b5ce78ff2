/**
 * What a JSON request body would lose on its way to PostgreSQL and back out to
 * a receiver, found in the text before anything is parsed.
 *
 * JSON.parse accepts more than Herald can keep: a lone UTF-16 surrogate
 * (`"\ud800"`) or a NUL (`"\u0000"`) that PostgreSQL refuses, numbers a double
 * cannot hold (`1e400` becomes Infinity and is stored as `null`; a 30-digit
 * integer is rounded), and a key given twice (the first value vanishes). The
 * signature covers what Herald stores, so a changed payload would be signed as
 * if the publisher had sent it. Each of these is refused at the edge instead,
 * naming the field.
 */

export type JsonTextProblem =
  /** PostgreSQL cannot store it (a 400): a lone surrogate or a NUL. */
  | { kind: 'unstorable'; path: string[]; message: string }
  /** It would be stored changed (a 422): an inexact number or a repeated key. */
  | { kind: 'inexact'; path: string[]; message: string };

interface Frame {
  /** Keys seen so far in an object, to catch repeats; null for an array. */
  keys: Set<string> | null;
  /** The current member's key or element index. */
  at: string;
  index: number;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const isDigit = (code: number) => code >= 48 && code <= 57;
const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/**
 * The first problem in `text`, or null. Text that is not JSON at all is not
 * judged here (null): JSON.parse reports it in its own words afterwards.
 */
export function inspectJsonText(text: string): JsonTextProblem | null {
  const stack: Frame[] = [];
  const path = () => stack.map((frame) => frame.at);
  let i = 0;
  const n = text.length;

  /** Reads a string starting at the quote; returns its decoded value, or a problem, or null on bad syntax. */
  const readString = (): string | JsonTextProblem | null => {
    i++; // opening quote
    let value = '';
    let start = i;
    while (i < n) {
      const code = text.charCodeAt(i);
      if (code === 34) {
        value += text.slice(start, i);
        i++;
        return checkString(value);
      }
      if (code === 92) {
        value += text.slice(start, i);
        const escaped = text[i + 1];
        if (escaped === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) return null;
          value += String.fromCharCode(Number.parseInt(hex, 16));
          i += 6;
        } else {
          const simple = ESCAPES[escaped ?? ''];
          if (simple === undefined) return null;
          value += simple;
          i += 2;
        }
        start = i;
        continue;
      }
      i++;
    }
    return null;
  };

  const checkString = (value: string): string | JsonTextProblem => {
    if (value.includes('\u0000'))
      return { kind: 'unstorable', path: path(), message: 'contains a NUL character (\\u0000), which cannot be stored' };
    if (LONE_SURROGATE.test(value)) {
      return { kind: 'unstorable', path: path(), message: 'contains a lone UTF-16 surrogate (such as \\ud800), which cannot be stored' };
    }
    return value;
  };

  const readNumber = (): JsonTextProblem | null | undefined => {
    const start = i;
    while (i < n && /[-+0-9.eE]/.test(text[i]!)) i++;
    const literal = text.slice(start, i);
    if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(literal)) return null;
    return exactNumber(literal) ? undefined : { kind: 'inexact', path: path(), message: inexactMessage(literal) };
  };

  const skipSpace = () => {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
  };

  // One value per loop turn; containers push a frame and pop it at their closing bracket.
  for (;;) {
    skipSpace();
    if (i >= n) return null;
    const code = text.charCodeAt(i);
    const frame = stack.at(-1);
    if (frame && code === (frame.keys ? 125 : 93)) {
      // `}` or `]`: an empty container, or the end after a value (checked below).
      return null;
    }
    if (frame?.keys) {
      // An object member: its key first.
      if (code !== 34) return null;
      const key = readString();
      if (key === null) return null;
      if (typeof key !== 'string') return { ...key, path: [...path().slice(0, -1), '(a key)'] };
      frame.at = key;
      if (frame.keys.has(key))
        return { kind: 'inexact', path: path(), message: 'is given more than once in its object (only one value could be kept)' };
      frame.keys.add(key);
      skipSpace();
      if (text.charCodeAt(i) !== 58) return null;
      i++;
      skipSpace();
    }
    // The value.
    const valueCode = text.charCodeAt(i);
    if (valueCode === 123 || valueCode === 91) {
      i++;
      stack.push({ keys: valueCode === 123 ? new Set() : null, at: '0', index: 0 });
      skipSpace();
      const close = valueCode === 123 ? 125 : 93;
      if (text.charCodeAt(i) !== close) continue;
      i++;
      stack.pop();
    } else if (valueCode === 34) {
      const value = readString();
      if (value === null) return null;
      if (typeof value !== 'string') return value;
    } else if (valueCode === 45 || isDigit(valueCode)) {
      const problem = readNumber();
      if (problem !== undefined) return problem;
    } else if (text.startsWith('true', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else if (text.startsWith('null', i)) i += 4;
    else return null;

    // After a value: a comma continues the container, its closing bracket ends it (perhaps several).
    for (;;) {
      skipSpace();
      const current = stack.at(-1);
      if (!current) return null;
      const next = text.charCodeAt(i);
      if (next === 44) {
        i++;
        if (!current.keys) current.at = String(++current.index);
        break;
      }
      if (next !== (current.keys ? 125 : 93)) return null;
      i++;
      stack.pop();
    }
  }
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Whether a JSON number literal survives a round trip through a double:
 * parsed and written back, it must name the same decimal value (so `1.50` and
 * `15e-1` pass, `1e400` and `123456789012345678901` do not). `-0` is refused
 * too: it is written back as `0`.
 */
export function exactNumber(literal: string): boolean {
  const value = Number(literal);
  if (!Number.isFinite(value)) return false;
  if (Object.is(value, -0)) return false;
  return sameDecimal(literal, String(value));
}

/** Compares two decimal texts by value: sign, significant digits and where the point falls. */
function sameDecimal(a: string, b: string): boolean {
  const x = decimalParts(a);
  const y = decimalParts(b);
  return x.negative === y.negative && x.digits === y.digits && x.exponent === y.exponent;
}

function decimalParts(text: string): { negative: boolean; digits: string; exponent: number } {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const [mantissa = '', exponentText = '0'] = body.toLowerCase().split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = whole + fraction;
  // The value is 0.digits × 10^exponent once leading zeros are gone.
  let exponent = Number(exponentText) + whole.length;
  const leading = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(leading).replace(/0+$/, '');
  exponent -= leading;
  if (digits === '') return { negative: false, digits: '', exponent: 0 };
  return { negative, digits, exponent };
}

function inexactMessage(literal: string): string {
  const shown = literal.length > 40 ? `${literal.slice(0, 37)}...` : literal;
  const value = Number(literal);
  if (!Number.isFinite(value)) return `number ${shown} is out of range for a JSON number Herald can keep; send it as a string`;
  if (Object.is(value, -0)) return 'number -0 would be delivered as 0; send 0, or the value as a string';
  return `number ${shown} has more precision than a double keeps (it would be delivered as ${String(value)}); send it as a string`;
}
