import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestHerald, type TestHerald } from '../../../test/support/harness';

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

let herald: TestHerald;

beforeAll(async () => {
  herald = await startTestHerald();
});
afterAll(async () => {
  await herald?.close();
});

describe('GET /api/v1/openapi.json', () => {
  it('serves an OpenAPI 3 document without an API key', async () => {
    const response = await call<OpenApiDocument>(herald.url, 'GET', '/api/v1/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body.openapi).toMatch(/^3\./);
    expect(response.body.info.title).toEqual(expect.any(String));
  });

  it('describes the application and health routes with their methods', async () => {
    const { paths, components } = (await call<OpenApiDocument>(herald.url, 'GET', '/api/v1/openapi.json')).body;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/api/v1/app', '/api/v1/app/{app_id}', '/api/v1/health']));
    expect(Object.keys(paths['/api/v1/app']!)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(paths['/api/v1/app/{app_id}']!)).toContain('get');
    expect(Object.keys(paths['/api/v1/health']!)).toContain('get');
    expect(Object.keys(components?.schemas ?? {})).toEqual(expect.arrayContaining(['ApplicationIn', 'ApplicationOut', 'Error']));
    expect(components?.securitySchemes).toHaveProperty('bearer');
  });
});

describe('GET /api/v1/docs', () => {
  it('serves a browsable reference without a key, with its assets from the installed package', async () => {
    const page = await fetch(`${herald.url}/api/v1/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    // The start-up script is a file of its own (the page's policy runs no inline script); it loads the document.
    expect(html).toContain('/api/v1/docs/reference.js');
    const start = await fetch(`${herald.url}/api/v1/docs/reference.js`);
    expect(start.status).toBe(200);
    expect(await start.text()).toContain('/api/v1/openapi.json');
    for (const asset of ['/api/v1/docs/swagger-ui-bundle.js', '/api/v1/docs/swagger-ui.css']) {
      const response = await fetch(`${herald.url}${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.text()).length).toBeGreaterThan(1000);
    }
  });
});

describe('the OpenAPI document reads well', () => {
  type Json = Record<string, unknown>;
  const get = async () => (await call<OpenApiDocument>(herald.url, 'GET', '/api/v1/openapi.json')).body;
  const operations = (doc: OpenApiDocument) =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, op: op as Json })),
    );

  it('gives every operation a unique operationId and a description', async () => {
    const doc = await get();
    const all = operations(doc);
    expect(all.length).toBeGreaterThan(50);
    expect(all.filter(({ op }) => typeof op.operationId !== 'string').map(({ at }) => at)).toEqual([]);
    expect(new Set(all.map(({ op }) => op.operationId)).size).toBe(all.length);
    expect(all.filter(({ op }) => typeof op.description !== 'string' || op.description === '').map(({ at }) => at)).toEqual([]);
    expect(all.find(({ at }) => at === 'POST /api/v1/app/{app_id}/msg')?.op.operationId).toBe('v1.app.msg.create');
  });

  it('describes every parameter and every schema property, with an example on each plain value', async () => {
    const doc = await get();
    const undescribed: string[] = [];
    const withoutExample: string[] = [];
    const walk = (schema: Json, at: string) => {
      for (const [name, property] of Object.entries((schema.properties as Record<string, Json>) ?? {})) {
        if (typeof property.description !== 'string') undescribed.push(`${at}.${name}`);
        const types = [property.type].flat();
        if (types.some((t) => ['string', 'number', 'integer', 'boolean'].includes(t as string)) && !('example' in property)) {
          withoutExample.push(`${at}.${name}`);
        }
        walk(property, `${at}.${name}`);
      }
      for (const nested of [schema.items, ...((schema.anyOf as Json[]) ?? []), ...((schema.allOf as Json[]) ?? [])]) {
        if (nested && typeof nested === 'object') walk(nested as Json, at);
      }
    };
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) walk(schema as Json, name);
    for (const { at, op } of operations(doc)) {
      for (const parameter of (op.parameters as Json[]) ?? []) {
        if (typeof parameter.description !== 'string') undescribed.push(`${at} ${parameter.in} ${parameter.name}`);
      }
    }
    expect(undescribed).toEqual([]);
    // Top-level values of every schema carry an example (nested values mostly do too).
    expect(withoutExample.filter((path) => path.split('.').length === 2)).toEqual([]);
  });

  it('shows a publishable message as its example, not generated noise', async () => {
    const doc = await get();
    const messageIn = doc.components!.schemas!.MessageIn as { properties: Record<string, { example?: unknown }> };
    expect(messageIn.properties.eventType!.example).toBe('invoice.paid');
    expect(messageIn.properties.payload!.example).toEqual(expect.objectContaining({ invoiceId: expect.any(String) }));
  });

  it('marks the health routes public and documents 415 with the hint', async () => {
    const doc = await get();
    const health = doc.paths['/api/v1/health']!.get as Json;
    const ping = doc.paths['/api/v1/health/ping']!.get as Json;
    expect(health.security).toEqual([]);
    expect(ping.security).toEqual([]);
    const publish = doc.paths['/api/v1/app/{app_id}/msg']!.post as { responses: Record<string, { description: string }> };
    expect(publish.responses['415']!.description).toContain('send content-type: application/json');
  });
});
