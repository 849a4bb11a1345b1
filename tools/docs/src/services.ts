import { MLFLOW_CLIENT_VARIABLES } from '@mlops/mlflow';
import { loadConfig as loadMonitorConfig, configSchema as monitorSchema } from '@mlops/monitor';
import { loadConfig as loadPredictorConfig, configSchema as predictorSchema } from '@mlops/predictor';
import { loadConfig as loadTrackerConfig, configSchema as trackerSchema } from '@mlops/tracker';
import { loadConfig as loadTrainerConfig, configSchema as trainerSchema } from '@mlops/trainer';
import { type EnvSchema, type EnvVar, envVarsOf } from './env-vars.js';

/** Where a service answers HTTP, named by the variables that configure it. */
export interface HttpEndpoint {
  readonly hostVariable: string;
  readonly portVariable: string;
  /** The path a container health check should call. */
  readonly healthPath: string;
}

/** What the docs and the static compose checks need to know about one service. */
export interface ServiceSpec {
  /** The service's name: its directory under services/, its compose service and its Dockerfile target. */
  readonly name: string;
  readonly packageName: string;
  readonly configSchema: EnvSchema;
  /** The service's own loadConfig, so checks parse a compose environment exactly as the process would. */
  readonly loadConfig: (env: Record<string, string | undefined>) => unknown;
  /** Whether it also reads MLflow's client variables (MLFLOW_CLIENT_VARIABLES) through mlflowOptionsFromEnv. */
  readonly mlflowClient: boolean;
  readonly health: HttpEndpoint;
  /** The endpoint other hosts call (published by compose), if any. */
  readonly publicHttp: HttpEndpoint | undefined;
}

/** The services, in pipeline order. Variables, defaults and descriptions come from their config schemas. */
export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'trainer',
    packageName: '@mlops/trainer',
    configSchema: trainerSchema,
    loadConfig: (env) => loadTrainerConfig(env, '/'),
    mlflowClient: false,
    health: { hostVariable: 'TRAINER_HEALTH_HOST', portVariable: 'TRAINER_HEALTH_PORT', healthPath: '/ready' },
    publicHttp: undefined,
  },
  {
    name: 'tracker',
    packageName: '@mlops/tracker',
    configSchema: trackerSchema,
    loadConfig: loadTrackerConfig,
    mlflowClient: true,
    health: { hostVariable: 'TRACKER_HEALTH_HOST', portVariable: 'TRACKER_HEALTH_PORT', healthPath: '/ready' },
    publicHttp: undefined,
  },
  {
    name: 'predictor',
    packageName: '@mlops/predictor',
    configSchema: predictorSchema,
    loadConfig: loadPredictorConfig,
    mlflowClient: true,
    health: { hostVariable: 'PREDICTOR_HOST', portVariable: 'PREDICTOR_PORT', healthPath: '/health' },
    publicHttp: { hostVariable: 'PREDICTOR_HOST', portVariable: 'PREDICTOR_PORT', healthPath: '/health' },
  },
  {
    name: 'monitor',
    packageName: '@mlops/monitor',
    configSchema: monitorSchema,
    loadConfig: loadMonitorConfig,
    mlflowClient: true,
    health: { hostVariable: 'MONITOR_HOST', portVariable: 'MONITOR_PORT', healthPath: '/ready' },
    publicHttp: { hostVariable: 'MONITOR_HOST', portVariable: 'MONITOR_PORT', healthPath: '/ready' },
  },
];

/** Every variable a service reads: its config schema's, then MLflow's client variables if it talks to MLflow. */
export function serviceVariables(service: ServiceSpec): EnvVar[] {
  const own = envVarsOf(service.configSchema);
  if (!service.mlflowClient) return own;
  const mlflow = MLFLOW_CLIENT_VARIABLES.filter((v) => !own.some((o) => o.name === v.name)).map(
    (v): EnvVar => ({
      name: v.name,
      required: false,
      defaultValue: undefined,
      accepts: 'text (empty = unset)',
      description: v.description,
    }),
  );
  return [...own, ...mlflow];
}
