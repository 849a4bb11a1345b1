import { createServer, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** A server that answers 408 to clients that take longer than `requestTimeoutMs` to send a request. */
export function createHttpServer(listener: RequestListener, requestTimeoutMs: number): Server {
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(requestTimeoutMs, 60_000),
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(requestTimeoutMs / 4))),
      keepAliveTimeout: 65_000,
    },
    listener,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(err, socket, requestTimeoutMs),
  );
  return server;
}

/**
 * What Node's server answers a request it could not read (too slow, malformed, headers too large), with a JSON body
 * in the native error shape instead of an empty one; a connection already answering is only closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, requestTimeoutMs: number): void {
  const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && answering !== true) {
    const [status, reason, code, message] = clientErrorAnswer(err.code, requestTimeoutMs);
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

function clientErrorAnswer(code: string | undefined, requestTimeoutMs: number): [number, string, string, string] {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        'Request Timeout',
        'REQUEST_TIMEOUT',
        `the request was not received within ${requestTimeoutMs / 1000} s (PREDICTOR_REQUEST_TIMEOUT_MS)`,
      ];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE', 'the request headers are too large'];
    default:
      return [400, 'Bad Request', 'BAD_REQUEST', `the request is not valid HTTP/1.1 (${code ?? 'unreadable'})`];
  }
}

/** Listens on host:port, resolving once bound (rejecting on EADDRINUSE and the like). */
export function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting connections, lets in-flight requests finish (5 s at most), then closes idle keep-alives. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), 5000);
  await closed;
  clearTimeout(timer);
}
