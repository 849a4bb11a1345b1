import type { IncomingMessage } from 'node:http';
import type { Logger } from '@mlops/service-kit';
import { type AllowedHosts, hostAllowed } from '../allowed-hosts.js';

/** How many refused Host values are logged (each once): a scan through many names must not flood the log. */
const MAX_LOGGED_HOSTS = 100;

/**
 * A check run first on every request: the refusal (403) of one whose Host header is not allowed, undefined for one
 * that is, so a web page whose name was made to resolve to this address (DNS rebinding), same-origin to the browser
 * and hence past the Sec-Fetch-Site check, reads and posts nothing. Each refused Host is logged once.
 */
export function createHostGuard(
  allowed: AllowedHosts,
  logger: Logger,
): (req: IncomingMessage) => { status: 403; code: 'FORBIDDEN'; message: string } | undefined {
  const logged = new Set<string>();
  return (req) => {
    const host = req.headers.host ?? '';
    if (hostAllowed(allowed, host)) return undefined;
    if (logged.size < MAX_LOGGED_HOSTS && !logged.has(host)) {
      logged.add(host);
      logger.warn({ host }, 'refused a request whose Host is not in PREDICTOR_ALLOWED_HOSTS (DNS rebinding?)');
    }
    const message = `the Host ${JSON.stringify(host)} is not one this predictor answers to (PREDICTOR_ALLOWED_HOSTS): a web page whose name was made to point at this address (DNS rebinding) would send it; add the name there if it is yours`;
    return { status: 403, code: 'FORBIDDEN', message };
  };
}
