import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/** Bearer-token check for protected routes; tokens are compared in constant time and never logged. */
export function bearerAuth(tokens: readonly string[]): RequestHandler {
  const digests = tokens.map(digest);
  return (req, res, next) => {
    if (digests.length === 0) {
      next();
      return;
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = match?.[1] === undefined ? undefined : digest(match[1].trim());
    let ok = false;
    for (const expected of digests) if (given !== undefined && timingSafeEqual(given, expected)) ok = true;
    if (ok) {
      next();
      return;
    }
    res
      .status(401)
      .setHeader('WWW-Authenticate', 'Bearer realm="predictor"')
      .json({
        error: { code: 'UNAUTHENTICATED', message: 'a valid bearer token is required: Authorization: Bearer <token>' },
      });
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
