import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthConfig } from '../config.js';
import type { Access } from './route-table.js';

/** A request the access check let in: the client id of the bearer token it showed, or undefined when none was asked. */
export interface Caller {
  readonly client: string | undefined;
}

/** Lets a request in (its caller) or refuses it (undefined); allocates nothing per request. */
export type AccessCheck = (access: Access, authorization: string | undefined) => Caller | undefined;

/** The caller of a route that asks for no token (no tokens configured, or a route open to all). */
const ANYONE: Caller = Object.freeze({ client: undefined });

/**
 * Builds the bearer-token check for a route's access class. Tokens are compared as SHA-256 digests in constant time
 * (equal lengths, no early exit, every token tried) and are never logged; a token that matches names its caller by
 * its client id (see clientIdOf), computed once per token here.
 */
export function createAccessCheck(auth: AuthConfig): AccessCheck {
  const digests = auth.tokens.map(digest);
  const callers: Caller[] = auth.tokens.map((token) => Object.freeze({ client: clientIdOf(token) }));
  const guarded = (access: Access) =>
    access === 'protected' ||
    (access === 'health' && auth.protectHealth) ||
    (access === 'metrics' && auth.protectMetrics);
  return (access, authorization) => {
    if (digests.length === 0 || !guarded(access)) return ANYONE;
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    if (match?.[1] === undefined) return undefined;
    const given = digest(match[1]);
    let caller: Caller | undefined;
    for (let i = 0; i < digests.length; i++) {
      const equal = timingSafeEqual(given, digests[i] as Buffer);
      caller = equal ? callers[i] : caller;
    }
    return caller;
  };
}

/**
 * The client id of a bearer token: the first 16 hex characters of its SHA-256. Stable (the same token gives the same
 * id on every predictor) and safe to log or publish: it names the client without revealing the token.
 */
export function clientIdOf(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
