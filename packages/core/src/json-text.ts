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

function skipSpace(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) break;
  }
  return i;
}

/** What {@link stringEnd} saw in the string it just crossed. */
const crossed = { escaped: false, unicode: false };

/** The index after the closing quote of the string opening at `from`, or -1 if it never closes. */
function stringEnd(text: string, from: number): number {
  crossed.escaped = false;
  crossed.unicode = false;
  for (let i = from + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) return i + 1;
    if (code === 92) {
      crossed.escaped = true;
      if (text.charCodeAt(i + 1) === 117) crossed.unicode = true;
      i++;
    }
  }
  return -1;
}

/** The value of the string between `from` (its opening quote) and `end` (after its closing one); null if an escape is invalid. */
function decodeString(text: string, from: number, end: number): string | null {
  let value = '';
  let start = from + 1;
  const last = end - 1;
  for (let i = start; i < last; ) {
    if (text.charCodeAt(i) !== 92) {
      i++;
      continue;
    }
    value += text.slice(start, i);
    const escaped = text[i + 1] ?? '';
    if (escaped === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9A-Fa-f]{4}$/.test(hex)) return null;
      value += String.fromCharCode(Number.parseInt(hex, 16));
      i += 6;
    } else {
      const simple = ESCAPES[escaped];
      if (simple === undefined) return null;
      value += simple;
      i += 2;
    }
    start = i;
  }
  return value + text.slice(start, last);
}

/**
 * Why PostgreSQL cannot store a string, or null. Only a `\u` escape can make
 * such a string: the body was decoded as strict UTF-8 (no raw lone surrogate)
 * and JSON forbids raw control characters (no raw NUL).
 */
function unstorable(value: string): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (such as \\ud800), which cannot be stored';
  return null;
}

function numberEnd(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code) && code !== 45 && code !== 43 && code !== 46 && code !== 101 && code !== 69) break;
  }
  return i;
}

/** Null when the number literal is kept exactly; `undefined` when it is not a JSON number at all (JSON.parse will say so). */
function numberProblem(literal: string): string | null | undefined {
  // Fifteen digits or fewer, without an exponent, survive a double (DBL_DIG is 15): most numbers stop here.
  if (literal.length <= 17 && /^-?(0|[1-9]\d*)(\.\d+)?$/.test(literal) && !/^-0(\.0+)?$/.test(literal)) {
    const digits = literal.length - (literal.startsWith('-') ? 1 : 0) - (literal.includes('.') ? 1 : 0);
    if (digits <= 15) return null;
  }
  if (!/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(literal)) return undefined;
  return exactNumber(literal) ? null : inexactMessage(literal);
}

const pathOf = (frames: Frame[]) => frames.map((frame) => frame.at);

/**
 * The first problem in `text`, or null. Text that is not JSON at all is not
 * judged here (null): JSON.parse reports it in its own words afterwards.
 * One pass, one value per loop turn; containers push a frame and pop it at
 * their closing bracket.
 */
export function inspectJsonText(text: string): JsonTextProblem | null {
  const frames: Frame[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    i = skipSpace(text, i);
    if (i >= n) return null;
    let code = text.charCodeAt(i);
    const frame = frames[frames.length - 1];
    // A closing bracket here is a trailing comma: not JSON.
    if (frame && code === (frame.keys ? 125 : 93)) return null;
    if (frame?.keys) {
      // An object member: its key first.
      if (code !== 34) return null;
      const end = stringEnd(text, i);
      if (end < 0) return null;
      const key = crossed.escaped ? decodeString(text, i, end) : text.slice(i + 1, end - 1);
      if (key === null) return null;
      const refused = crossed.unicode ? unstorable(key) : null;
      if (refused) return { kind: 'unstorable', path: [...pathOf(frames).slice(0, -1), '(a key)'], message: refused };
      frame.at = key;
      if (frame.keys.has(key)) {
        return { kind: 'inexact', path: pathOf(frames), message: 'is given more than once in its object (only one value could be kept)' };
      }
      frame.keys.add(key);
      i = skipSpace(text, end);
      if (text.charCodeAt(i) !== 58) return null;
      i = skipSpace(text, i + 1);
      code = text.charCodeAt(i);
    }
    // The value.
    if (code === 123 || code === 91) {
      const close = code === 123 ? 125 : 93;
      frames.push({ keys: code === 123 ? new Set() : null, at: '0', index: 0 });
      i = skipSpace(text, i + 1);
      if (text.charCodeAt(i) !== close) continue;
      i++;
      frames.pop();
    } else if (code === 34) {
      const end = stringEnd(text, i);
      if (end < 0) return null;
      if (crossed.unicode) {
        const value = decodeString(text, i, end);
        if (value === null) return null;
        const refused = unstorable(value);
        if (refused) return { kind: 'unstorable', path: pathOf(frames), message: refused };
      }
      i = end;
    } else if (code === 45 || isDigit(code)) {
      const end = numberEnd(text, i);
      const problem = numberProblem(text.slice(i, end));
      if (problem === undefined) return null;
      if (problem) return { kind: 'inexact', path: pathOf(frames), message: problem };
      i = end;
    } else if (text.startsWith('true', i)) i += 4;
    else if (text.startsWith('false', i)) i += 5;
    else if (text.startsWith('null', i)) i += 4;
    else return null;

    // After a value: a comma continues the container, its closing bracket ends it (perhaps several).
    for (;;) {
      i = skipSpace(text, i);
      const current = frames[frames.length - 1];
      if (!current) return null;
      const next = text.charCodeAt(i);
      if (next === 44) {
        i++;
        if (!current.keys) current.at = String(++current.index);
        break;
      }
      if (next !== (current.keys ? 125 : 93)) return null;
      i++;
      frames.pop();
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
