import { join } from 'node:path';
import { findFreePort, type ProbeHeaders, type SupervisedProcess, type SupervisorLogger } from '@mlops/supervisor';
import { predictorProbeHeaders } from './predictor-auth.js';
import { envWithSecretsOf } from './secret-env.js';
import { type ServiceName, startService } from './service.js';

/** What the services of the local stack share. */
export interface StackServicesOptions {
  /** Their environment, with NATS_URL, MLFLOW_TRACKING_URI, TRAINER_DATA_DIR already set. */
  readonly env: NodeJS.ProcessEnv;
  readonly predictorPort: number;
  readonly logDir: string;
  readonly cwd?: string | undefined;
  readonly onReady: (name: ServiceName) => void;
  readonly killSignal?: AbortSignal | undefined;
  /** Called with a service's pid as each of its runs is spawned, before it is ready. */
  readonly onSpawn?: ((name: ServiceName, pid: number, healthUrl: string) => void) | undefined;
  /** Called when a restart moves a service's health port (another process took it while the service was down). */
  readonly onMoved?: ((name: ServiceName, healthUrl: string) => void) | undefined;
  readonly logger?: SupervisorLogger | undefined;
}

/** A started service and the URL that answers while it is healthy (its readiness probe; a restart may move it). */
export interface StackService {
  readonly process: SupervisedProcess;
  readonly healthUrl: string;
}

/** A service's shutdown drains its consumers and in-flight trials: more time than a server needs. */
const SERVICE_STOP_GRACE_MS = 20_000;
/** How long a service may take to be ready: the default, and the monitor's (see below). */
const SERVICE_READY_MS = 30_000;
/**
 * The monitor reads the whole prediction log back before it is ready (the label join): about 20 µs a message on 2
 * busy cores, so 30 s for a 1 GiB log of single-row requests. A restart must not be taken for a crash meanwhile.
 */
const MONITOR_READY_MS = 300_000;

/**
 * Starts trainer, tracker, predictor and monitor together (health ports on free ports); if one fails, stops the
 * others.
 */
export async function startStackServices(options: StackServicesOptions): Promise<StackService[]> {
  const [trainerPort, trackerPort, monitorPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
  const plan: {
    name: ServiceName;
    env: NodeJS.ProcessEnv;
    readyUrl: string;
    readyHeaders?: ProbeHeaders;
    readyMs?: number;
    /** Its health port's variable: the stack chose the port, and may move it (the predictor's is the user's). */
    portVariable?: string;
  }[] = [
    {
      name: 'trainer',
      env: { TRAINER_HEALTH_PORT: String(trainerPort) },
      readyUrl: ready(trainerPort, 'ready'),
      portVariable: 'TRAINER_HEALTH_PORT',
    },
    {
      name: 'tracker',
      env: { TRACKER_HEALTH_PORT: String(trackerPort) },
      readyUrl: ready(trackerPort, 'ready'),
      portVariable: 'TRACKER_HEALTH_PORT',
    },
    {
      name: 'predictor',
      env: {},
      readyUrl: ready(options.predictorPort, 'health'),
      // With PREDICTOR_AUTH_HEALTH=true its /health answers 401 without a token: the probe shows one of its tokens.
      readyHeaders: predictorProbeHeaders(options.env),
    },
    {
      name: 'monitor',
      env: { MONITOR_PORT: String(monitorPort) },
      readyUrl: ready(monitorPort, 'ready'),
      readyMs: MONITOR_READY_MS,
      portVariable: 'MONITOR_PORT',
    },
  ];
  const results = await Promise.allSettled(
    plan.map(async ({ name, env, readyUrl, readyHeaders, readyMs, portVariable }) => {
      let healthUrl = readyUrl;
      const service = await startService(name, {
        env: envWithSecretsOf(name, { ...options.env, ...env }),
        readyUrl,
        readyHeaders,
        startupTimeoutMs: readyMs ?? SERVICE_READY_MS,
        logFile: join(options.logDir, `${name}.log`),
        stopGraceMs: SERVICE_STOP_GRACE_MS,
        cwd: options.cwd,
        logger: options.logger,
        killSignal: options.killSignal,
        onSpawn: (pid, url) => options.onSpawn?.(name, pid, url),
        portVariable,
        onMoved: (url) => {
          healthUrl = url;
          options.onMoved?.(name, url);
        },
      });
      options.onReady(name);
      return {
        process: service,
        get healthUrl() {
          return healthUrl;
        },
      };
    }),
  );
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r) => r.status === 'rejected');
  if (failure === undefined) return started;
  await Promise.all(started.map((service) => service.process.stop()));
  throw failure.reason;
}

function ready(port: number, path: string): string {
  return `http://127.0.0.1:${port}/${path}`;
}
