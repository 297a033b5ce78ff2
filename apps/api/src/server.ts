import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createApp } from './app';
import type { ApiDeps } from './context';
import { closeStreams } from './routes/streams';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** Listens on the configured host and port (0 picks a free one, which tests use). */
export async function startApiServer(deps: ApiDeps): Promise<RunningApi> {
  const app = createApp(deps);
  return await new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: deps.config.port, hostname: deps.config.host }, (info: AddressInfo) => {
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: async () => {
          // Open SSE responses never end by themselves: end them so the connections can close.
          await closeStreams(app);
          await new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive sockets would hold close() open until they time out.
            if ('closeIdleConnections' in server) server.closeIdleConnections();
          });
          // Messages committed by the last requests still go to the queue before the pools close.
          await app.dispatcher.flush();
        },
      });
    });
    server.once('error', reject);
  });
}
