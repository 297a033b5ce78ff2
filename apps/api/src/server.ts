import type { AddressInfo, Socket } from 'node:net';
import { HeraldError, randomBase64Url, StartupError } from '@herald/core';
import { serve } from '@hono/node-server';
import { createApp } from './app';
import type { ApiDeps } from './context';
import { DATA_HEADERS } from './middleware/security-headers';
import { closeStreams } from './routes/streams';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** Listens on the configured host and port (0 picks a free one, which tests use). */
export async function startApiServer(deps: ApiDeps): Promise<RunningApi> {
  const app = createApp(deps);
  return await new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        port: deps.config.port,
        hostname: deps.config.host,
        serverOptions: { maxHeaderSize: MAX_HEADER_BYTES },
      },
      (info: AddressInfo) => {
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
      },
    );
    server.on('clientError', answerUnparsable);
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${deps.config.host}:${deps.config.port}`;
      if (error.code === 'EADDRINUSE')
        reject(new StartupError('PORT', `${where} is already in use; stop what listens there or choose another PORT`));
      else if (error.code === 'EACCES') reject(new StartupError('PORT', `not allowed to listen on ${where}`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new StartupError('HOST', `${deps.config.host} is not an address of this machine`));
      else reject(error);
    });
  });
}

/**
 * Room for a request line with every list filter at its longest (4,096
 * four-byte characters, percent-encoded), so such a request reaches validation
 * and gets a 422 naming the field. Anything larger is refused by Node's parser.
 */
const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Requests Node's HTTP parser refuses never reach the app: they still get the
 * one error shape (Node's default is a bare status line without a body).
 */
function answerUnparsable(error: Error & { code?: string }, socket: Socket) {
  if (!socket.writable) return socket.destroy();
  const herald =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new HeraldError(
          'header_too_large',
          `the request line and headers exceed ${MAX_HEADER_BYTES / 1024} KiB; shorten the URL or the headers`,
        )
      : new HeraldError('bad_request', 'the request is not valid HTTP');
  const body = JSON.stringify(herald.toBody(`req_${randomBase64Url(12)}`));
  const reason = herald.status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  const hardening = Object.entries(DATA_HEADERS)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${herald.status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${hardening}connection: close\r\n\r\n${body}`,
  );
}
