import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, findFreePort } from './ports.js';
import { spawnManaged, waitUntil } from './process.js';

/** A running nats-server with JetStream, owned by a test run. */
export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGTERM (graceful); a temporary store is removed. */
  stop(): Promise<void>;
  /** SIGKILL (a crash): the store stays as it is, so a server started on the same port and store recovers it. */
  kill(): Promise<void>;
}

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** @defaultValue `nats-server` from PATH */
  readonly binary?: string;
  /** @defaultValue 15000 */
  readonly startupTimeoutMs?: number;
  /** A fixed port (the local stack); default a free one. */
  readonly port?: number;
  /** A persistent JetStream store kept on stop (the local stack); default a temporary one, removed on stop. */
  readonly storeDir?: string;
  /** Require a user and password, or a token; default open. */
  readonly auth?: { readonly user: string; readonly password: string } | { readonly token: string };
  /** Serve TLS only, with this certificate and key (PEM files); `caFile` also verifies client certificates. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
}

const INSTALL_HINT = 'nats-server not found: install it (apt-get install -y nats-server) or run bash scripts/setup.sh';

/** Starts nats-server with JetStream on a free loopback port and a temporary store; stop() removes the store. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = options.binary ?? 'nats-server';
  if (binary.includes('/') && !existsSync(binary)) throw new Error(INSTALL_HINT);
  const keepStore = options.storeDir !== undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'mlops-nats-')));
  const port = options.port ?? (await findFreePort());
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '-m', '0'];
  if (options.auth !== undefined || options.tls !== undefined) {
    args.push('-c', await writeServerConfig(storeDir, options));
  }
  const managed = spawnManaged(binary, args, storeDir);
  try {
    await waitUntil('nats-server', managed, () => canConnect(port), options.startupTimeoutMs ?? 15_000);
  } catch (err) {
    if (!keepStore) await rm(storeDir, { recursive: true, force: true });
    if (/ENOENT/.test(String(err))) throw new Error(INSTALL_HINT, { cause: err });
    throw err;
  }
  return {
    url: `${options.tls === undefined ? 'nats' : 'tls'}://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop() {
      await managed.stop();
      if (!keepStore) await rm(storeDir, { recursive: true, force: true });
    },
    kill: () => managed.kill(),
  };
}

/** A config file with the authorization and TLS blocks (command-line flags cannot express TLS verification). */
async function writeServerConfig(storeDir: string, options: NatsServerOptions): Promise<string> {
  const lines: string[] = [];
  const auth = options.auth;
  if (auth !== undefined && 'token' in auth) lines.push(`authorization { token: ${JSON.stringify(auth.token)} }`);
  if (auth !== undefined && 'user' in auth) {
    lines.push(`authorization { user: ${JSON.stringify(auth.user)}, password: ${JSON.stringify(auth.password)} }`);
  }
  const tls = options.tls;
  if (tls !== undefined) {
    const ca = tls.caFile === undefined ? '' : `, ca_file: ${JSON.stringify(tls.caFile)}, verify: true`;
    lines.push(`tls { cert_file: ${JSON.stringify(tls.certFile)}, key_file: ${JSON.stringify(tls.keyFile)}${ca} }`);
  }
  const file = join(storeDir, 'nats-server.conf');
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}
