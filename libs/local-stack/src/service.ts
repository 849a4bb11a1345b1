import { join } from 'node:path';
import {
  httpOk,
  httpOkFromItself,
  type ProbeHeaders,
  type SupervisedProcess,
  type SupervisorLogger,
  startProcess,
} from '@mlops/supervisor';
import { REPO_ROOT } from './paths.js';
import { preparePrivateLog } from './private-files.js';

/** The services of this repository that run as their own process. */
export type ServiceName = 'trainer' | 'tracker' | 'predictor' | 'monitor';

/** Options for {@link startService}. */
export interface ServiceOptions {
  /** The service's whole environment (NATS_URL, MLFLOW_TRACKING_URI, ...). */
  readonly env: NodeJS.ProcessEnv;
  /** Polled until it answers 2xx (the service's /ready or /health), at start and after each restart. */
  readonly readyUrl: string;
  /** Sent with each poll of `readyUrl`: a bearer token when the service's health routes want one. */
  readonly readyHeaders?: ProbeHeaders | undefined;
  /** @defaultValue 30000 */
  readonly startupTimeoutMs?: number | undefined;
  /** Also append the service's output (pino JSON lines) to this file (created for its owner alone). */
  readonly logFile?: string | undefined;
  /** SIGTERM → SIGKILL grace of stop(). @defaultValue 10000 */
  readonly stopGraceMs?: number | undefined;
  /** @defaultValue the repository root */
  readonly cwd?: string | undefined;
  readonly logger?: SupervisorLogger | undefined;
  /** Aborted, SIGKILLs the service at once (see the supervisor's `killSignal`). */
  readonly killSignal?: AbortSignal | undefined;
  /** Called with the pid of each run as it is spawned (see the supervisor's `onSpawn`). */
  readonly onSpawn?: ((pid: number) => void) | undefined;
}

/**
 * Services whose /health and /ready name their pid: only their own answer counts as ready, not that of a process
 * that took their port first (the service then exits with EADDRINUSE, and its start fails saying so).
 */
const NAMES_ITS_PID: ReadonlySet<ServiceName> = new Set(['trainer', 'tracker', 'monitor']);

/** The built entry point of a service: `services/<name>/dist/main.js` (built by `tsc -b`). */
export function serviceEntry(name: ServiceName): string {
  return join(REPO_ROOT, 'services', name, 'dist', 'main.js');
}

/** Starts `node services/<name>/dist/main.js` (this Node binary) and waits until its readiness URL answers 2xx. */
export async function startService(name: ServiceName, options: ServiceOptions): Promise<SupervisedProcess> {
  await preparePrivateLog(options.logFile);
  return await startProcess({
    name,
    command: process.execPath,
    args: [serviceEntry(name)],
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    keepLines: 5000,
    // One Node process, no workers: in the caller's group, a terminal's Ctrl-C reaches it even before `mlops up` is up.
    processGroup: false,
    logFile: options.logFile,
    stopGraceMs: options.stopGraceMs,
    readiness: {
      probe: (NAMES_ITS_PID.has(name) ? httpOkFromItself : httpOk)(options.readyUrl, 1000, options.readyHeaders),
      timeoutMs: options.startupTimeoutMs ?? 30_000,
    },
    logger: options.logger,
    killSignal: options.killSignal,
    onSpawn: options.onSpawn,
  });
}
