import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answersOk } from './ports.js';
import { type ManagedProcess, spawnManaged, waitUntil } from './process.js';

/** The services of this repository that run as their own process. */
export type ServiceName = 'trainer' | 'tracker' | 'predictor';

/** A service process (`node services/<name>/dist/main.js`) started by a test, which may crash it on purpose. */
export interface ServiceProcessHandle {
  readonly name: ServiceName;
  readonly pid: number;
  /** The last lines the process printed (pino JSON lines), for failure messages. */
  output(): string;
  /** Set once the process has exited. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM (graceful shutdown), SIGKILL after the grace period. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: a crash, nothing is flushed or acknowledged. */
  kill(): Promise<void>;
}

/** Options for {@link startServiceProcess}. */
export interface ServiceProcessOptions {
  /** Environment on top of this process's own (NATS_URL, MLFLOW_TRACKING_URI, ...). */
  readonly env: Readonly<Record<string, string>>;
  /** Polled until it answers 2xx (the service's /ready or /health). */
  readonly readyUrl: string;
  /** @defaultValue 30000 */
  readonly startupTimeoutMs?: number;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The built entry point of a service: `services/<name>/dist/main.js` (built by `tsc -b`). */
export function serviceEntry(name: ServiceName): string {
  return join(REPO_ROOT, 'services', name, 'dist', 'main.js');
}

/** Starts a service as a child process and waits until its readiness URL answers. */
export async function startServiceProcess(
  name: ServiceName,
  options: ServiceProcessOptions,
): Promise<ServiceProcessHandle> {
  const env = { ...process.env, ...options.env };
  const managed: ManagedProcess = spawnManaged(process.execPath, [serviceEntry(name)], REPO_ROOT, env, 5000);
  await waitUntil(name, managed, () => answersOk(options.readyUrl, 1000), options.startupTimeoutMs ?? 30_000);
  return {
    name,
    pid: managed.child.pid ?? -1,
    output: managed.output,
    exited: managed.exited,
    stop: (graceMs) => managed.stop(graceMs),
    kill: () => managed.kill(),
  };
}
