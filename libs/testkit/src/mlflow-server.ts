import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answersOk, findFreePort } from './ports.js';
import { spawnManaged, waitUntil } from './process.js';

/** A running MLflow tracking server (SQLite backend, artifact proxy), owned by a test run. */
export interface MlflowServerHandle {
  readonly trackingUri: string;
  readonly port: number;
  readonly dataDir: string;
  /** The server's recent log lines, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Options for {@link startMlflowServer}. */
export interface MlflowServerOptions {
  /** @defaultValue the project's `.venv/bin/mlflow` */
  readonly mlflowBinary?: string;
  /** MLflow imports slowly, and the first start runs migrations. @defaultValue 90000 */
  readonly startupTimeoutMs?: number;
  /** A fixed port (the local stack); default a free one. */
  readonly port?: number;
  /** A persistent directory for mlflow.db and artifacts, kept on stop; default a temporary one, removed on stop. */
  readonly dataDir?: string;
  /** Runs MLflow's `basic-auth` app with this admin password (user `admin`); default no authentication. */
  readonly basicAuthAdminPassword?: string;
}

/** The project's own venv MLflow, found from this package's location. */
export function projectMlflowBinary(): string {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  return join(repoRoot, '.venv', 'bin', 'mlflow');
}

/** Starts `mlflow server` with a temporary SQLite store and artifact root on a free port, polling /health. */
export async function startMlflowServer(options: MlflowServerOptions = {}): Promise<MlflowServerHandle> {
  const binary = options.mlflowBinary ?? projectMlflowBinary();
  if (!existsSync(binary)) {
    throw new Error(`MLflow not found at ${binary}: run bash scripts/setup.sh (pins it from requirements.txt)`);
  }
  const keepData = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mlops-mlflow-')));
  await mkdir(dataDir, { recursive: true });
  const port = options.port ?? (await findFreePort());
  const args = [
    'server',
    '--backend-store-uri',
    `sqlite:///${join(dataDir, 'mlflow.db')}`,
    '--artifacts-destination',
    join(dataDir, 'artifacts'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    '1',
  ];
  // MLflow 3.x also starts a job runner with several huey workers; tests need none of them.
  const env: NodeJS.ProcessEnv = { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' };
  if (options.basicAuthAdminPassword !== undefined) {
    args.push('--app-name', 'basic-auth');
    Object.assign(env, await basicAuthEnv(dataDir, options.basicAuthAdminPassword));
  }
  const managed = spawnManaged(binary, args, dataDir, env);
  const trackingUri = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      'mlflow server',
      managed,
      () => answersOk(`${trackingUri}/health`),
      options.startupTimeoutMs ?? 90_000,
    );
  } catch (err) {
    if (!keepData) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    trackingUri,
    port,
    dataDir,
    output: managed.output,
    async stop() {
      await managed.stop();
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** MLflow's basic-auth app reads its users database and admin from an ini file named by MLFLOW_AUTH_CONFIG_PATH. */
async function basicAuthEnv(dataDir: string, adminPassword: string): Promise<NodeJS.ProcessEnv> {
  const ini = join(dataDir, 'basic_auth.ini');
  const lines = [
    '[mlflow]',
    'default_permission = READ',
    `database_uri = sqlite:///${join(dataDir, 'basic_auth.db')}`,
    'admin_username = admin',
    `admin_password = ${adminPassword}`,
    'authorization_function = mlflow.server.auth:authenticate_request_basic_auth',
    // Without the cache every request re-hashes the password (PBKDF2, ~0.25 s here).
    'auth_cache_ttl_seconds = 300',
    '',
  ];
  await writeFile(ini, lines.join('\n'));
  return { MLFLOW_AUTH_CONFIG_PATH: ini, MLFLOW_FLASK_SERVER_SECRET_KEY: randomUUID() };
}
