import { z } from 'zod';

const optional = (description: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v))
    .describe(description);

/**
 * The NATS variables every service reads, named as the `nats` CLI names them. Spread into a service's config schema;
 * {@link natsConnection} turns the parsed values into connect options.
 */
export const natsEnvShape = {
  NATS_URL: z
    .string()
    .min(1, 'is empty: give nats://host:port (comma-separated for several servers)')
    .superRefine((text, ctx) => {
      for (const message of natsUrlProblems(text)) ctx.addIssue({ code: 'custom', message });
    })
    .default('nats://127.0.0.1:4222')
    .describe(
      'NATS server URL(s), comma-separated: [nats://][user:password@ or token@]host[:port]; tls:// requires TLS of every server',
    ),
  NATS_USER: optional('NATS user name (with NATS_PASSWORD)'),
  NATS_PASSWORD: optional('NATS password (secret; never logged)'),
  NATS_TOKEN: optional('NATS authentication token instead of a user (secret; never logged)'),
  NATS_CREDS: optional('Path of a NATS .creds file (JWT and NKey seed) for servers in operator mode'),
  NATS_CA: optional('PEM file of the CA that signed the NATS server certificate (turns TLS on)'),
  NATS_CERT: optional('PEM client certificate for mutual TLS (with NATS_KEY)'),
  NATS_KEY: optional('PEM private key of NATS_CERT'),
  NATS_STREAM_REPLICAS: z.coerce
    .number()
    .int()
    .min(1)
    .max(5)
    .default(1)
    .describe('Replicas of the JetStream streams and key-value buckets a service creates: 3 on a 3-node cluster'),
};

type NatsEnv = { [K in keyof typeof natsEnvShape]: z.output<(typeof natsEnvShape)[K]> };

/** How a service connects to NATS: servers plus credentials and TLS (the shape `connectBus` takes). */
export interface NatsConnectionConfig {
  readonly servers: string[];
  /** Replicas of the streams and buckets the service creates (NATS_STREAM_REPLICAS). */
  readonly streamReplicas: number;
  readonly security: {
    readonly user?: string | undefined;
    readonly password?: string | undefined;
    readonly token?: string | undefined;
    readonly credsFile?: string | undefined;
    readonly tls?: { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string } | undefined;
  };
}

/** One server of NATS_URL: its address without credentials, and what its URL said about credentials and TLS. */
interface NatsServerAddress {
  readonly server: string;
  readonly tls: boolean;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
}

const SERVER_URL = /^(?:([a-z][a-z\d+.-]*):\/\/)?(?:([^@/\s]*)@)?([^@\s]+)$/i;

/**
 * Reads one server of NATS_URL as nats.js and the `nats` CLI take it, or says why it cannot be a server: nats.js
 * itself drops the scheme and any credentials, so a `tls://` URL would connect in the clear and `user:pw@` be ignored.
 */
function natsServerAddress(text: string): NatsServerAddress | string {
  const match = SERVER_URL.exec(text.trim());
  if (match === null) {
    return `"${shown(text)}" is not a server address: ${SERVER_FORM}`;
  }
  const [, scheme = 'nats', userInfo = '', address = ''] = match;
  const protocol = scheme.toLowerCase();
  if (protocol !== 'nats' && protocol !== 'tls') return `${scheme}:// is not supported: use nats:// or tls://`;
  const hostPort = address.replace(/\/$/, '');
  if (hostUrl(hostPort) === undefined) return `"${hostPort}" is not a host[:port] (port 1–65535)`;
  // The host as written (nats.js maps ::ffff:a.b.c.d to IPv4 itself, and a certificate may name it so).
  const server = { server: `${protocol}://${hostPort}`, tls: protocol === 'tls' };
  if (userInfo === '') return server;
  try {
    const colon = userInfo.indexOf(':');
    if (colon < 0) return { ...server, token: decodeURIComponent(userInfo) };
    const user = decodeURIComponent(userInfo.slice(0, colon));
    return { ...server, user, password: decodeURIComponent(userInfo.slice(colon + 1)) };
  } catch {
    return `the credentials in the address of ${server.server} are not valid percent-encoding`;
  }
}

/** host[:port] as a URL, or undefined when it is not one (no host, a path, port 0 or out of range, empty port). */
function hostUrl(hostPort: string): URL | undefined {
  // A bare IPv6 address (::1, fe80::1): nats.js brackets it itself, with the default port.
  const bracketed = (hostPort.match(/:/g)?.length ?? 0) > 1 && !hostPort.includes('[') ? `[${hostPort}]` : hostPort;
  try {
    const url = new URL(`nats://${bracketed}`);
    const bare = url.hostname !== '' && /^\/?$/.test(url.pathname) && url.search === '' && url.hash === '';
    return bare && url.port !== '0' && !bracketed.endsWith(':') ? url : undefined;
  } catch {
    return undefined;
  }
}

/** An address as an error may show it: whatever precedes an @ (credentials) removed. */
function shown(text: string): string {
  return text.trim().replace(/^([a-z][a-z\d+.-]*:\/\/)?.*@/i, '$1');
}

/** What is wrong with NATS_URL, one message per problem (never showing credentials). */
export function natsUrlProblems(text: string): string[] {
  if (text === '') return []; // said by the schema's min(1)
  const entries = text.split(',').filter((entry) => entry.trim() !== '');
  const problems = entries.length < text.split(',').length ? [EMPTY_SERVER] : [];
  const addresses = entries.map(natsServerAddress);
  // A comma inside a password splits the text: a piece without its @ may be part of a password, so with credentials
  // anywhere in NATS_URL such a piece is named by position, never shown.
  const secret = text.includes('@');
  addresses.forEach((a, i) => {
    if (typeof a !== 'string') return;
    const fragment = secret && !(entries[i] ?? '').includes('@');
    problems.push(fragment ? `server ${i + 1} of ${entries.length} is not a valid address (${SERVER_FORM})` : a);
  });
  const parsed = addresses.filter((a): a is NatsServerAddress => typeof a !== 'string');
  if (new Set(parsed.map((a) => JSON.stringify([a.user, a.password, a.token]))).size > 1)
    problems.push('its servers carry different credentials: give them once, or NATS_USER/NATS_PASSWORD');
  return problems;
}

const SERVER_FORM = '[nats://][user:password@]host[:port], with @ / : , in credentials percent-encoded';
const EMPTY_SERVER = 'an empty server address (nothing, or only spaces, between commas)';

/** The servers of a valid NATS_URL, without credentials, with the credentials the URL carried (the first server's). */
function natsServerAddresses(text: string): NatsServerAddress[] {
  return text
    .split(',')
    .map(natsServerAddress)
    .filter((a): a is NatsServerAddress => typeof a !== 'string');
}

/** Problems with a combination of NATS variables, for a schema's superRefine (each names its variable). */
export function natsEnvProblems(env: Partial<NatsEnv>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const inUrl = natsServerAddresses(env.NATS_URL ?? '').some((a) => a.user !== undefined || a.token !== undefined);
  if (inUrl && [env.NATS_USER, env.NATS_TOKEN, env.NATS_CREDS].some((v) => v !== undefined)) {
    problems.push({
      path: 'NATS_URL',
      message: 'carries credentials beside NATS_USER, NATS_TOKEN or NATS_CREDS: give them one way',
    });
  }
  if ((env.NATS_USER === undefined) !== (env.NATS_PASSWORD === undefined)) {
    problems.push({
      path: env.NATS_USER === undefined ? 'NATS_USER' : 'NATS_PASSWORD',
      message: 'NATS_USER and NATS_PASSWORD go together',
    });
  }
  const ways = [env.NATS_USER, env.NATS_TOKEN, env.NATS_CREDS].filter((v) => v !== undefined).length;
  if (ways > 1)
    problems.push({ path: 'NATS_TOKEN', message: 'use one of NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS' });
  if ((env.NATS_CERT === undefined) !== (env.NATS_KEY === undefined)) {
    problems.push({
      path: env.NATS_CERT === undefined ? 'NATS_CERT' : 'NATS_KEY',
      message: 'NATS_CERT and NATS_KEY go together',
    });
  }
  return problems;
}

/** A config schema's `superRefine` step: reports every contradiction among the NATS variables. */
export function checkNatsEnv(env: Partial<NatsEnv>, ctx: z.RefinementCtx): void {
  for (const { path, message } of natsEnvProblems(env)) ctx.addIssue({ code: 'custom', path: [path], message });
}

/** Servers, credentials and TLS from the parsed NATS variables. */
export function natsConnection(env: NatsEnv): NatsConnectionConfig {
  const addresses = natsServerAddresses(env.NATS_URL);
  const requireTls = addresses.some((a) => a.tls);
  const tls =
    env.NATS_CA === undefined && env.NATS_CERT === undefined && !requireTls
      ? undefined
      : {
          ...(env.NATS_CA === undefined ? {} : { caFile: env.NATS_CA }),
          ...(env.NATS_CERT === undefined || env.NATS_KEY === undefined
            ? {}
            : { certFile: env.NATS_CERT, keyFile: env.NATS_KEY }),
        };
  const inUrl = addresses.find((a) => a.user !== undefined || a.token !== undefined);
  return {
    servers: addresses.map((a) => a.server),
    streamReplicas: env.NATS_STREAM_REPLICAS,
    security: {
      user: env.NATS_USER ?? inUrl?.user,
      password: env.NATS_PASSWORD ?? inUrl?.password,
      token: env.NATS_TOKEN ?? inUrl?.token,
      credsFile: env.NATS_CREDS,
      tls,
    },
  };
}
