import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from './ports.js';
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
  const dataDir = await mkdtemp(join(tmpdir(), 'mlops-mlflow-'));
  const port = await findFreePort();
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
  const managed = spawnManaged(binary, args, dataDir);
  const trackingUri = `http://127.0.0.1:${port}`;
  try {
    await waitUntil('mlflow server', managed, () => isHealthy(trackingUri), options.startupTimeoutMs ?? 90_000);
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    trackingUri,
    port,
    dataDir,
    output: managed.output,
    async stop() {
      await managed.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function isHealthy(trackingUri: string): Promise<boolean> {
  try {
    const response = await fetch(`${trackingUri}/health`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}
