import { join } from 'node:path';
import {
  findFreePort,
  httpOk,
  httpOkFromItself,
  type ProbeHeaders,
  type RespawnChanges,
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
  /** Called with the pid of each run as it is spawned (see the supervisor's `onSpawn`), and where it is probed. */
  readonly onSpawn?: ((pid: number, readyUrl: string) => void) | undefined;
  /**
   * The environment variable that gives the service the port of `readyUrl`: a run that found that port taken by
   * another process (EADDRINUSE) is restarted on a free one, and told with `onMoved`.
   */
  readonly portVariable?: string | undefined;
  /** Called when a restart moves the service to another port (see `portVariable`), with its new readiness URL. */
  readonly onMoved?: ((readyUrl: string) => void) | undefined;
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
  let readyUrl = options.readyUrl;
  const readinessAt = (url: string) => ({
    probe: (NAMES_ITS_PID.has(name) ? httpOkFromItself : httpOk)(url, 1000, options.readyHeaders),
    timeoutMs: options.startupTimeoutMs ?? 30_000,
  });
  let env = options.env;
  const { portVariable } = options;
  const movePort = async (ended: readonly string[]): Promise<RespawnChanges | undefined> => {
    if (portVariable === undefined || !portTaken(ended, new URL(readyUrl).port)) return undefined;
    const moved = new URL(readyUrl);
    moved.port = String(await findFreePort());
    readyUrl = moved.href;
    env = { ...env, [portVariable]: moved.port };
    options.onMoved?.(readyUrl);
    return { env, readiness: readinessAt(readyUrl) };
  };
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
    readiness: readinessAt(readyUrl),
    logger: options.logger,
    killSignal: options.killSignal,
    onSpawn: (pid) => options.onSpawn?.(pid, readyUrl),
    beforeRespawn: movePort,
  });
}

/** Whether a run's output says it could not listen on `port` because another process holds it. */
function portTaken(lines: readonly string[], port: string): boolean {
  const onPort = new RegExp(`:${port}(?!\\d)`);
  return lines.some((line) => line.includes('EADDRINUSE') && onPort.test(line));
}
