import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ExitStatus,
  findFreePort,
  ProcessExitedError,
  portOpen,
  type SupervisorLogger,
  startProcess,
} from '@mlops/supervisor';
import { LocalStackError } from './errors.js';
import { makePrivateDir, preparePrivateLog, writePrivateFile } from './private-files.js';
import { envWithSecretsOf } from './secret-env.js';

/** A running nats-server with JetStream (the local stack's, or a test's). */
export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** The pid of the current run. */
  readonly pid: number | undefined;
  /** Resolves when the server process (its current run) ends, on request or not. */
  readonly exited: Promise<ExitStatus>;
  /** The server's recent log lines, for failure messages. */
  output(): string;
  /** SIGTERM (graceful); a temporary store is removed. */
  stop(): Promise<void>;
  /** SIGKILL (a crash): the store stays as it is, so a server started on the same port and store recovers it. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store (after a crash: its leftovers are killed first); waits until ready. */
  restart(): Promise<void>;
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
  /**
   * Join a JetStream cluster: this server's unique name, its route port, and the route ports of every member (its
   * own may be among them); all on 127.0.0.1.
   */
  readonly cluster?: {
    readonly name: string;
    readonly serverName: string;
    readonly port: number;
    readonly routes: readonly number[];
  };
  /** JetStream's file storage in bytes (`max_file_store`); default nats-server's own (75 % of the free disk). */
  readonly maxFileStoreBytes?: number;
  /** Also append the server's output to this file (created for its owner alone). */
  readonly logFile?: string | undefined;
  readonly logger?: SupervisorLogger | undefined;
  /** Aborted, SIGKILLs the server at once (see the supervisor's `killSignal`). */
  readonly killSignal?: AbortSignal | undefined;
  /** Called with the pid of each run as it is spawned (see the supervisor's `onSpawn`). */
  readonly onSpawn?: ((pid: number) => void) | undefined;
}

const INSTALL_HINT = 'nats-server not found: install it (apt-get install -y nats-server) or run bash scripts/setup.sh';

/** Starts nats-server with JetStream on a loopback port (default a free one) and waits until the port accepts. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = options.binary ?? 'nats-server';
  if (binary.includes('/') && !existsSync(binary)) throw new LocalStackError(INSTALL_HINT);
  const keepStore = options.storeDir !== undefined;
  const storeDir = options.storeDir ?? (await mkdtemp(join(tmpdir(), 'mlops-nats-')));
  const removeStore = () => (keepStore ? Promise.resolve() : rm(storeDir, { recursive: true, force: true }));
  await makePrivateDir(storeDir);
  await preparePrivateLog(options.logFile);
  const port = options.port ?? (await findFreePort());
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '-m', '0'];
  if (options.cluster !== undefined) args.push(...clusterArgs(options.cluster));
  if (options.auth !== undefined || options.tls !== undefined || options.maxFileStoreBytes !== undefined) {
    args.push('-c', await writeServerConfig(storeDir, options));
  }
  const server = await startProcess({
    name: 'nats-server',
    command: binary,
    args,
    cwd: storeDir,
    env: envWithSecretsOf('nats-server', process.env),
    readiness: { probe: portOpen(port), timeoutMs: options.startupTimeoutMs ?? 15_000 },
    logFile: options.logFile,
    logger: options.logger,
    killSignal: options.killSignal,
    onSpawn: options.onSpawn,
  }).catch(async (err: unknown) => {
    await removeStore();
    throw notFound(err) ? new LocalStackError(INSTALL_HINT, { cause: err }) : err;
  });
  return {
    url: `${options.tls === undefined ? 'nats' : 'tls'}://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return server.pid;
    },
    get exited() {
      return server.exited;
    },
    output: () => server.output(),
    restart: () => server.restart(),
    async stop() {
      await server.stop();
      await removeStore();
    },
    async kill() {
      await server.kill();
    },
  };
}

/** nats-server's cluster flags: server name, cluster name, listen address and routes to every other member. */
function clusterArgs(cluster: NonNullable<NatsServerOptions['cluster']>): string[] {
  const routes = cluster.routes.filter((p) => p !== cluster.port).map((p) => `nats://127.0.0.1:${p}`);
  return [
    '--name',
    cluster.serverName,
    '--cluster_name',
    cluster.name,
    '--cluster',
    `nats://127.0.0.1:${cluster.port}`,
    '--routes',
    routes.join(','),
  ];
}

function notFound(err: unknown): boolean {
  return (
    err instanceof ProcessExitedError && (err.status.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
  );
}

/**
 * A config file with the authorization, TLS and storage blocks (command-line flags cannot express TLS verification or
 * JetStream's storage).
 */
async function writeServerConfig(storeDir: string, options: NatsServerOptions): Promise<string> {
  const lines: string[] = [];
  if (options.maxFileStoreBytes !== undefined) lines.push(`jetstream { max_file_store: ${options.maxFileStoreBytes} }`);
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
  await writePrivateFile(file, `${lines.join('\n')}\n`);
  return file;
}
