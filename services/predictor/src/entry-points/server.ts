import { createServer, type RequestListener, type Server } from 'node:http';

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
  return server;
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
