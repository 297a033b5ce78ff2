import { newEndpointSecret } from '@herald/core';
import fc from 'fast-check';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { describe, expect, it } from 'vitest';
import { decodeSecret, signatureHeaders } from '../src';

const FIXED_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const now = () => Math.floor(Date.now() / 1000);

/** svix's verifier reads `svix-*` headers and falls back to `webhook-*`; both spellings are checked. */
const asSvixHeaders = (headers: ReturnType<typeof signatureHeaders>) => ({
  'svix-id': headers['webhook-id'],
  'svix-timestamp': headers['webhook-timestamp'],
  'svix-signature': headers['webhook-signature'],
});

const BODIES = [
  '{"type":"invoice.paid","data":{"id":"in_1"}}',
  '{"emoji":"🎉","accents":"éàü","cjk":"漢字"}',
  '{}',
  `{"big":"${'x'.repeat(100_000)}"}`,
];

describe('signatureHeaders', () => {
  it.each(BODIES.map((body) => [body.slice(0, 40), body]))('verifies with standardwebhooks and svix: %s', (_, body) => {
    const secret = newEndpointSecret();
    const headers = signatureHeaders({ messageId: 'msg_2LJpBl1YlkWJ8uE4ZnmuEaBX7Ux', timestamp: new Date(), body, secrets: [secret] });
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(() => new StandardWebhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new SvixWebhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new SvixWebhook(secret).verify(body, asSvixHeaders(headers))).not.toThrow();
  });

  it('verifies for any id, body and secret (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,40}$/),
        fc.string({ unit: 'binary', maxLength: 500 }),
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        (messageId, text, keyBytes) => {
          const body = JSON.stringify({ text });
          const secret = `whsec_${Buffer.from(keyBytes).toString('base64')}`;
          const headers = signatureHeaders({ messageId, timestamp: now(), body, secrets: [secret] });
          new StandardWebhook(secret).verify(body, headers);
          new SvixWebhook(secret).verify(body, headers);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('signs with every secret during rotation, and each secret alone verifies', () => {
    const previous = FIXED_SECRET;
    const current = newEndpointSecret();
    const body = '{"rotating":true}';
    const headers = signatureHeaders({ messageId: 'msg_rot', timestamp: now(), body, secrets: [current, previous] });
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    for (const signature of signatures) expect(signature).toMatch(/^v1,/);
    for (const secret of [current, previous]) {
      expect(() => new StandardWebhook(secret).verify(body, headers)).not.toThrow();
      expect(() => new SvixWebhook(secret).verify(body, headers)).not.toThrow();
    }
    expect(() => new StandardWebhook(newEndpointSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it('fails verification when the body, id or timestamp is tampered with', () => {
    const body = '{"amount":100}';
    const headers = signatureHeaders({ messageId: 'msg_t', timestamp: now(), body, secrets: [FIXED_SECRET] });
    const verifiers = [new StandardWebhook(FIXED_SECRET), new SvixWebhook(FIXED_SECRET)];
    for (const verifier of verifiers) {
      expect(() => verifier.verify('{"amount":1000}', headers)).toThrow(/No matching signature/);
      expect(() => verifier.verify(`${body} `, headers)).toThrow(/No matching signature/);
      expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'msg_other' })).toThrow(/No matching signature/);
      expect(() => verifier.verify(body, { ...headers, 'webhook-timestamp': String(now() - 1) })).toThrow(/No matching signature/);
    }
  });

  it('matches the Standard Webhooks reference signature and its timestamp forms', () => {
    const timestamp = now();
    const body = '{"test": 2432232314}';
    const fromSeconds = signatureHeaders({ messageId: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp, body, secrets: [FIXED_SECRET] });
    const fromDate = signatureHeaders({
      messageId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: new Date(timestamp * 1000 + 999),
      body,
      secrets: [FIXED_SECRET],
    });
    expect(fromDate).toEqual(fromSeconds);
    expect(fromSeconds['webhook-timestamp']).toBe(String(timestamp));
    expect(fromSeconds['webhook-signature']).toBe(
      new StandardWebhook(FIXED_SECRET).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(timestamp * 1000), body),
    );
  });

  it('refuses to sign without a secret or with a nonsense timestamp', () => {
    expect(() => signatureHeaders({ messageId: 'm', timestamp: now(), body: '{}', secrets: [] })).toThrow(/at least one secret/);
    expect(() => signatureHeaders({ messageId: 'm', timestamp: 1.5, body: '{}', secrets: [FIXED_SECRET] })).toThrow(/timestamp/);
    expect(() => signatureHeaders({ messageId: 'm', timestamp: new Date(Number.NaN), body: '{}', secrets: [FIXED_SECRET] })).toThrow(
      /timestamp/,
    );
  });
});

describe('decodeSecret', () => {
  it('decodes the base64 after the whsec_ prefix, with or without the prefix, and caches the key', () => {
    const key = decodeSecret(FIXED_SECRET);
    expect(key).toEqual(Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
    expect(key).toHaveLength(24);
    expect(decodeSecret(FIXED_SECRET)).toBe(key);
    expect(decodeSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toEqual(key);
  });

  it('rejects a secret that is not base64 without echoing it', () => {
    expect(() => decodeSecret('whsec_not*base64!')).toThrow(/invalid webhook secret/);
    expect(() => decodeSecret('whsec_not*base64!')).not.toThrow(/not\*base64/);
    expect(() => decodeSecret('whsec_')).toThrow(/invalid webhook secret/);
  });
});
