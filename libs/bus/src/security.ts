import { readFileSync } from 'node:fs';
import { credsAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import { NatsSecurityError } from './errors.js';

/** How a service proves itself to NATS and verifies the server; every field optional (an open local server). */
export interface NatsSecurity {
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly token?: string | undefined;
  /** A `.creds` file (JWT and NKey seed), for servers in operator mode. */
  readonly credsFile?: string | undefined;
  /**
   * TLS required of the server, with PEM files: the CA that signed the server's certificate (else the system's), and
   * this client's certificate and key (mutual TLS). Undefined: TLS only when the server asks for it.
   */
  readonly tls?:
    | {
        readonly caFile?: string | undefined;
        readonly certFile?: string | undefined;
        readonly keyFile?: string | undefined;
      }
    | undefined;
}

/** The nats.js connection options for `security` (credentials are passed on, never logged). */
export function securityOptions(security: NatsSecurity | undefined): Partial<NodeConnectionOptions> {
  if (security === undefined) return {};
  const options: Partial<NodeConnectionOptions> = {};
  if (security.user !== undefined) Object.assign(options, { user: security.user, pass: security.password });
  if (security.token !== undefined) options.token = security.token;
  if (security.credsFile !== undefined) options.authenticator = credsAuthenticator(readCreds(security.credsFile));
  const tls = security.tls;
  // Present, even empty (a tls:// URL), TLS is required: the system's CAs verify the server unless caFile is given.
  if (tls !== undefined) {
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      throw new NatsSecurityError(
        'a client certificate needs its key and the key its certificate (NATS_CERT, NATS_KEY)',
      );
    }
    options.tls = {
      ...(tls.caFile === undefined ? {} : { caFile: tls.caFile }),
      ...(tls.certFile === undefined || tls.keyFile === undefined
        ? {}
        : { certFile: tls.certFile, keyFile: tls.keyFile }),
    };
  }
  return options;
}

function readCreds(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new NatsSecurityError(`cannot read the NATS credentials file ${path}`, { cause: err });
  }
}

/** A server address as it may be shown (errors, logs): user name, password or token in it removed. */
export function shownServer(server: string): string {
  return server.trim().replace(/^([a-z][a-z\d+.-]*:\/\/)?[^/@\s]*@/i, '$1');
}
