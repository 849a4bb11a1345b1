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

/** The body is compressed (`Content-Encoding: gzip`, …), which is not read here (answered with 415). */
export class EncodedBody extends Error {
  constructor(readonly encoding: string) {
    super(`Content-Encoding ${encoding} is not supported: send the body uncompressed`);
    this.name = 'EncodedBody';
  }
}

/**
 * Reads the whole body, refusing (before reading, when Content-Length says so) anything over `limit` bytes, and a
 * compressed one (EncodedBody) rather than taking its bytes for JSON.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    return Promise.reject(new EncodedBody(encoding));
  }
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
