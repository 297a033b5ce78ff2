import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from '../context';

const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Herald API reference</title>
    <link rel="stylesheet" href="/api/v1/docs/swagger-ui.css" />
  </head>
  <body>
    <div id="reference"></div>
    <script src="/api/v1/docs/swagger-ui-bundle.js"></script>
    <script src="/api/v1/docs/reference.js"></script>
  </body>
</html>`;

/** Starts Swagger UI; a file of its own because the page's Content-Security-Policy runs no inline script. */
const START = `window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#reference', deepLinking: true, persistAuthorization: false });
`;

/**
 * The browsable reference at /api/v1/docs: Swagger UI over the generated
 * OpenAPI document, served from the installed package (no CDN, works offline).
 */
export function registerApiReference(app: OpenAPIHono<ApiEnv>) {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, string>();
  app.get('/api/v1/docs', (c) => c.html(PAGE));
  app.get('/api/v1/docs/reference.js', (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    return c.body(START);
  });
  for (const [file, type] of Object.entries(ASSETS)) {
    app.get(`/api/v1/docs/${file}`, async (c) => {
      let body = cache.get(file);
      if (body === undefined) {
        body = await readFile(join(dir, file), 'utf8');
        cache.set(file, body);
      }
      c.header('content-type', type);
      c.header('cache-control', 'public, max-age=86400');
      return c.body(body);
    });
  }
}
