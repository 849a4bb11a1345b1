import { connect, type Socket } from 'node:net';

/**
 * Why the nats-server at `tcp://host:port` does not answer, or undefined when it does: it must send its INFO and
 * answer a PING with PONG (or an -ERR, say for missing credentials) within `timeoutMs`. A port that accepts
 * connections is not enough: a frozen (SIGSTOPped) server's kernel still accepts them.
 */
export async function natsHandshakeProblem(address: string, timeoutMs: number): Promise<string | undefined> {
  const url = new URL(address);
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  try {
    return await new Promise<string | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(silence(socket, address, timeoutMs)), timeoutMs);
      socket.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve(err.code === 'ECONNREFUSED' ? `nothing accepts connections: ${address}` : `${err.message}: ${address}`);
      });
      followHandshake(socket, () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
  } finally {
    socket.destroy();
  }
}

/** What a probe that got no answer in time says: whether the connection was open (a server that does not reply). */
function silence(socket: Socket, address: string, timeoutMs: number): string {
  const open = socket.readyState === 'open';
  const what = open ? 'connection open, no reply' : 'no connection';
  return `${what} in ${timeoutMs / 1000} s: ${address}`;
}

/**
 * Reads the server's lines: after its INFO sends CONNECT and PING, and calls `answered` at PONG or -ERR. A server
 * that wants TLS first (tls_required) has answered with its INFO: the probe speaks no TLS.
 */
function followHandshake(socket: Socket, answered: () => void): void {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let end = text.indexOf('\r\n'); end >= 0; end = text.indexOf('\r\n')) {
      const line = text.slice(0, end);
      text = text.slice(end + 2);
      const tlsFirst = line.startsWith('INFO ') && /"tls_required"\s*:\s*true/.test(line);
      if (tlsFirst || line === 'PONG' || line.startsWith('-ERR')) {
        answered();
        return;
      }
      if (line.startsWith('INFO ')) socket.write('CONNECT {"verbose":false,"pedantic":false}\r\nPING\r\n');
    }
  });
}
