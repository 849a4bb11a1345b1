import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExitStatus, findFreePort, httpOk, type SupervisorLogger, startProcess } from '@mlops/supervisor';
import { LocalStackError } from './errors.js';
import { projectMlflowBinary } from './paths.js';
import { makePrivateDir, makePrivateFile, preparePrivateLog, writePrivateFile } from './private-files.js';
import { envWithSecretsOf } from './secret-env.js';

/** A running MLflow tracking server (SQLite or another backend store, artifact proxy): the local stack's, or a test run's. */
export interface MlflowServerHandle {
  readonly trackingUri: string;
  readonly port: number;
  readonly dataDir: string;
  /** The pid of the current run. */
  readonly pid: number | undefined;
  /** Resolves when the server process (its current run) ends, on request or not. */
  readonly exited: Promise<ExitStatus>;
  /** The server's recent log lines, for failure messages. */
  output(): string;
  stop(): Promise<void>;
  /** SIGKILLs the server and its workers (its process group) at once; resolves when it ended. Data stays. */
  kill(): Promise<unknown>;
  /** Starts it again on the same port and data (a crashed run's leftover workers killed first); waits for /health. */
  restart(): Promise<void>;
}

/** Options for {@link startMlflowServer}. */
export interface MlflowServerOptions {
  /** @defaultValue the project's `.venv/bin/mlflow` */
  readonly mlflowBinary?: string;
  /** MLflow imports slowly, and the first start runs migrations. @defaultValue 90000 */
  readonly startupTimeoutMs?: number;
  /** A fixed port (the local stack); default a free one. */
  readonly port?: number;
  /**
   * A persistent directory for mlflow.db and artifacts, kept on stop (created for its owner alone); default a temporary
   * one, removed on stop.
   */
  readonly dataDir?: string;
  /**
   * The backend store, e.g. `postgresql://user:password@127.0.0.1:5432/mlflow` (needs psycopg2 in MLflow's venv;
   * MLflow migrates an empty database on the first start). @defaultValue `sqlite:///<dataDir>/mlflow.db`
   */
  readonly backendStoreUri?: string;
  /** Runs MLflow's `basic-auth` app with this admin password (user `admin`); default no authentication. */
  readonly basicAuthAdminPassword?: string;
  /** Server worker processes (`--workers`). @defaultValue 1 */
  readonly workers?: number;
  /**
   * `uvicorn`: MLflow's default, its FastAPI app with the Flask app inside. `gunicorn`: the Flask app alone under
   * gunicorn with threads, for the REST API, the artifact proxy and the UI; about a quarter less of MLflow's CPU per
   * tracking call here (bench/README.md): what the local stack, compose and the tests run. What only the FastAPI app
   * serves (OTLP `/v1/traces`, the AI gateway, the jobs API) is absent under gunicorn; the project uses none of it.
   * @defaultValue 'gunicorn'
   */
  readonly server?: MlflowServerKind;
  /** Also append the server's output to this file (created for its owner alone). */
  readonly logFile?: string | undefined;
  readonly logger?: SupervisorLogger | undefined;
  /** Aborted, SIGKILLs the server and its workers at once (see the supervisor's `killSignal`). */
  readonly killSignal?: AbortSignal | undefined;
  /** Called with the pid of each run as it is spawned (see the supervisor's `onSpawn`). */
  readonly onSpawn?: ((pid: number) => void) | undefined;
}

/** The process serving MLflow's app (see {@link MlflowServerOptions.server}). */
export type MlflowServerKind = 'uvicorn' | 'gunicorn';

/**
 * gunicorn's options for MLflow: 4 threads a worker (MLflow's calls mostly wait on the store); a slow worker boot is
 * not killed at 30 s; on SIGTERM, workers get 3 s to finish (30 s by default, past the supervisor's 10 s stop grace:
 * a stop took 6.9 s with the default, 4.5 s with this); and no control socket, which gunicorn ≥ 25.1 would otherwise
 * share in ~/.gunicorn between every server on the machine.
 */
const GUNICORN_OPTIONS = '--threads 4 --timeout 300 --graceful-timeout 3 --no-control-socket';

/**
 * Starts `mlflow server` with a SQLite (write-ahead log) or the given store and the artifact proxy (default: temporary
 * directory, free port), polling /health.
 */
export async function startMlflowServer(options: MlflowServerOptions = {}): Promise<MlflowServerHandle> {
  const binary = options.mlflowBinary ?? projectMlflowBinary();
  if (!existsSync(binary)) {
    throw new LocalStackError(
      `MLflow not found at ${binary}: run bash scripts/setup.sh (pins it from requirements.txt)`,
    );
  }
  const keepData = options.dataDir !== undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mlops-mlflow-')));
  const removeData = () => (keepData ? Promise.resolve() : rm(dataDir, { recursive: true, force: true }));
  await makePrivateDir(join(dataDir, 'artifacts')); // the data directory too, when missing
  await preparePrivateLog(options.logFile);
  const port = options.port ?? (await findFreePort());
  if (options.backendStoreUri === undefined) {
    await useWriteAheadLog(join(dataDir, 'mlflow.db')).catch(async (err: unknown) => {
      await removeData();
      throw new LocalStackError(`could not put MLflow's SQLite store in ${dataDir} in write-ahead-log mode`, {
        cause: err,
      });
    });
  }
  const trackingUri = `http://127.0.0.1:${port}`;
  const server = await startProcess({
    name: 'mlflow server',
    command: binary,
    args: serverArgs(
      options.backendStoreUri ?? `sqlite:///${join(dataDir, 'mlflow.db')}`,
      dataDir,
      port,
      options.basicAuthAdminPassword !== undefined,
      options.workers ?? 1,
      options.server ?? 'gunicorn',
    ),
    cwd: dataDir,
    env: await serverEnv(dataDir, options.basicAuthAdminPassword),
    readiness: { probe: httpOk(`${trackingUri}/health`, 2000), timeoutMs: options.startupTimeoutMs ?? 90_000 },
    logFile: options.logFile,
    logger: options.logger,
    killSignal: options.killSignal,
    onSpawn: options.onSpawn,
  }).catch(async (err: unknown) => {
    await removeData();
    throw err;
  });
  return {
    trackingUri,
    port,
    dataDir,
    get pid() {
      return server.pid;
    },
    get exited() {
      return server.exited;
    },
    output: () => server.output(),
    restart: () => server.restart(),
    kill: () => server.kill(),
    async stop() {
      await server.stop();
      await removeData();
    },
  };
}

/**
 * Puts the SQLite store in write-ahead-log mode (kept in the file): a commit syncs once instead of journal and
 * database, and readers do not wait for the writer, so two MLflow workers mirror a top-5 1,000-trial tuning about a
 * fifth faster (bench/tune). MLflow leaves SQLite's default rollback journal.
 */
async function useWriteAheadLog(file: string): Promise<void> {
  await makePrivateFile(file); // SQLite gives the -wal and -shm files the database's mode
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file);
  try {
    db.prepare('PRAGMA journal_mode=WAL').get();
  } finally {
    db.close();
  }
}

function serverArgs(
  backendStoreUri: string,
  dataDir: string,
  port: number,
  basicAuth: boolean,
  workers: number,
  kind: MlflowServerKind,
): string[] {
  const args = [
    'server',
    '--backend-store-uri',
    backendStoreUri,
    '--artifacts-destination',
    join(dataDir, 'artifacts'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    String(workers),
    ...(kind === 'gunicorn' ? ['--gunicorn-opts', GUNICORN_OPTIONS] : []),
  ];
  return basicAuth ? [...args, '--app-name', 'basic-auth'] : args;
}

async function serverEnv(dataDir: string, adminPassword: string | undefined): Promise<NodeJS.ProcessEnv> {
  // MLflow 3.x also starts a job runner with several huey workers; the stack and the tests need none of them.
  const env: NodeJS.ProcessEnv = {
    ...envWithSecretsOf('mlflow', process.env),
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
  };
  return adminPassword === undefined ? env : { ...env, ...(await basicAuthEnv(dataDir, adminPassword)) };
}

/**
 * MLflow's basic-auth app reads its users database and admin from an ini file named by MLFLOW_AUTH_CONFIG_PATH; both
 * hold secrets (the admin password, password hashes): created for their owner alone.
 */
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
  await writePrivateFile(ini, lines.join('\n'));
  await makePrivateFile(join(dataDir, 'basic_auth.db'));
  return { MLFLOW_AUTH_CONFIG_PATH: ini, MLFLOW_FLASK_SERVER_SECRET_KEY: randomUUID() };
}
