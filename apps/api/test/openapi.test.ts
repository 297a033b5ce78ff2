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
