import type { IncomingMessage } from 'node:http';

/** The request body is larger than the configured limit (answered with 413). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body exceeds the limit of ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/** The client closed or reset the connection before sending the whole body: nobody is left to answer. */
export class ClientWentAway extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the client went away before sending the whole body', options);
    this.name = 'ClientWentAway';
  }
}

/** Reads the whole body, refusing (before reading, when Content-Length says so) anything over `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    // A reset mid-body ('aborted', ECONNRESET) is the client going away too, whichever of error and close comes first.
    req.once('error', (cause) => reject(new ClientWentAway({ cause })));
    req.once('close', () => {
      if (!req.complete) reject(new ClientWentAway());
    });
  });
}
