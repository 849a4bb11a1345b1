import type { IncomingMessage } from 'node:http';

/** The request body is larger than the configured limit (answered with 413). */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body exceeds the limit of ${limit} bytes`);
    this.name = 'BodyTooLarge';
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
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client went away before sending the whole body'));
    });
  });
}
