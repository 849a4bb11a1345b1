import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthConfig } from '../config.js';
import type { Access } from './route-table.js';

/**
 * Builds the bearer-token check for a route's access class. Tokens are compared as SHA-256 digests in constant time
 * (equal lengths, no early exit, every token tried) and are never logged.
 */
export function createAccessCheck(auth: AuthConfig): (access: Access, authorization: string | undefined) => boolean {
  const digests = auth.tokens.map(digest);
  const guarded = (access: Access) =>
    access === 'protected' ||
    (access === 'health' && auth.protectHealth) ||
    (access === 'metrics' && auth.protectMetrics);
  return (access, authorization) => {
    if (digests.length === 0 || !guarded(access)) return true;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    if (match?.[1] === undefined) return false;
    const given = digest(match[1]);
    let ok = false;
    for (const expected of digests) ok = timingSafeEqual(given, expected) || ok;
    return ok;
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
