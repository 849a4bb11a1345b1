import { type ServiceName, startService } from '@mlops/local-stack';

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

/** Starts a service as a child process (the local stack's way) and waits until its readiness URL answers. */
export async function startServiceProcess(
  name: ServiceName,
  options: ServiceProcessOptions,
): Promise<ServiceProcessHandle> {
  const service = await startService(name, {
    env: { ...process.env, ...options.env },
    readyUrl: options.readyUrl,
    startupTimeoutMs: options.startupTimeoutMs,
  });
  return {
    name,
    pid: service.pid ?? -1,
    output: () => service.output(),
    exited: () => service.exitStatus(),
    async stop(graceMs) {
      await service.stop(graceMs);
    },
    async kill() {
      await service.kill();
    },
  };
}
