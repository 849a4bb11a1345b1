import type { ServiceName } from './service.js';

/** Which processes of the stack read each secret variable; the others are started without it. */
const SECRET_READERS: Readonly<Record<string, readonly ServiceName[]>> = {
  PREDICTOR_AUTH_TOKENS: ['predictor'],
  /** The `mlops` commands' own token for the predictor: no process of the stack reads it. */
  PREDICTOR_TOKEN: [],
  MLFLOW_TRACKING_PASSWORD: ['tracker', 'predictor', 'monitor'],
  MLFLOW_TRACKING_TOKEN: ['tracker', 'predictor', 'monitor'],
  NATS_PASSWORD: ['trainer', 'tracker', 'predictor', 'monitor'],
  NATS_TOKEN: ['trainer', 'tracker', 'predictor', 'monitor'],
};

/**
 * `env` without the secrets `reader` does not read (nats-server and MLflow read none of them): each process of the
 * stack holds only its own, in `/proc/<pid>/environ` as in a crash dump.
 */
export function envWithSecretsOf(
  reader: ServiceName | 'nats-server' | 'mlflow',
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const kept = { ...env };
  for (const [name, readers] of Object.entries(SECRET_READERS)) {
    if (!(readers as readonly string[]).includes(reader)) delete kept[name];
  }
  return kept;
}
