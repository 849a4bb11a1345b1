import { resolve } from 'node:path';
import { DEFAULT_MODEL_NAME } from '@mlops/contracts';
import { DEFAULT_PORTS } from '@mlops/local-stack';
import { UsageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { integerOption, parseFlags, stringOptions } from '../options.js';
import { httpUrl } from '../predictor-http.js';
import { defaultDataDir } from '../stack-defaults.js';
import {
  endpointPredictorToken,
  mlflowStatus,
  natsStatus,
  predictorStatus,
  recordedEndpoints,
  stackSection,
  statusPredictorToken,
} from '../status/probes.js';
import { modelSection, statusClient, tuningsSection } from '../status/registry.js';
import { anythingReachable, type StatusReport, statusText } from '../status/report.js';

/** Help text for `mlops status`. */
export const STATUS_USAGE = `usage: mlops status [--data-dir data] [--nats URL] [--mlflow URL] [--predictor URL]
  [--name ${DEFAULT_MODEL_NAME}] [--experiment NAME] [--limit 5]
The state of a stack: each process of the local stack (from <data-dir>/stack.json, which mlops up keeps current,
and its health endpoint now; --data-dir defaults to $MLOPS_DATA_DIR when set, else data), whether NATS, MLflow and the predictor answer, the champion of --name and the last
tunings of --experiment (default: --name), newest first. Each URL defaults to its flag, then NATS_URL /
MLFLOW_TRACKING_URI, then the stack's state file, then the quick start's ports. A predictor whose health routes want
a bearer token (PREDICTOR_AUTH_HEALTH) is sent PREDICTOR_TOKEN, as mlops predict sends it, or else (only to the
predictor the state file records) the first of PREDICTOR_AUTH_TOKENS (as in the shell that ran mlops up). The health of
nats-server is a NATS PING answered. Exit code 1 only when nothing answers; 2 for an address that is no URL.`;

const FLAGS = ['data-dir', 'nats', 'mlflow', 'predictor', 'name', 'experiment', 'limit'] as const;

/** `mlops status`: processes, endpoints, champion and last tunings of a running (or stopped) stack. */
export async function statusCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags({ args, options: stringOptions(FLAGS), strict: true, allowPositionals: false });
  const limit = integerOption(values, 'limit') ?? 5;
  if (limit < 1) throw new UsageError(`--limit needs a positive integer, got ${limit}`);
  const given = {
    mlflow:
      values.mlflow === undefined
        ? httpTrackingUri(io)
        : checkedHttpAddress(values.mlflow, '--mlflow', DEFAULT_PORTS.mlflow),
    predictor: checkedHttpAddress(values.predictor, '--predictor', DEFAULT_PORTS.predictor),
  };
  const token = statusPredictorToken(io.env);
  const stack = await stackSection(resolve(io.cwd, values['data-dir'] ?? defaultDataDir(io)), token);
  const recorded = recordedEndpoints(stack);
  const urls = {
    nats: values.nats ?? io.env.NATS_URL ?? recorded.nats ?? `nats://127.0.0.1:${DEFAULT_PORTS.nats}`,
    mlflow: given.mlflow ?? recorded.mlflow ?? local(DEFAULT_PORTS.mlflow),
    predictor: given.predictor ?? recorded.predictor ?? local(DEFAULT_PORTS.predictor),
  };
  const endpoints = await Promise.all([
    natsStatus(io, urls.nats),
    mlflowStatus(urls.mlflow),
    predictorStatus(urls.predictor, endpointPredictorToken(token, urls.predictor, recorded.predictor)),
  ]);
  const mlflowUp = endpoints[1]?.result.reachable === true;
  const name = values.name ?? DEFAULT_MODEL_NAME;
  const client = mlflowUp ? statusClient(io, urls.mlflow) : undefined;
  const [model, tunings] = await Promise.all([
    client && modelSection(client, name),
    client && tuningsSection(client, values.experiment ?? name, limit),
  ]);
  const report: StatusReport = { stack, endpoints, model, tunings };
  io.stdout(`${statusText(report, io.cwd)}\n`);
  if (anythingReachable(report)) return 0;
  io.stderr('mlops status: nothing answers: is a stack running? (mlops up, or docker compose up)\n');
  return 1;
}

/** `address` as given when it is an http(s) URL (or not given); refused naming `from`, its flag or variable (exit 2). */
function checkedHttpAddress(address: string | undefined, from: string, port: number): string | undefined {
  if (address !== undefined) httpUrl(address, from, local(port));
  return address;
}

/**
 * MLFLOW_TRACKING_URI when it is an http(s) URL. MLflow takes others (`databricks`, `file:///…`) that no stack of
 * this project serves: they are said on stderr and passed over for the state file's address, not refused.
 */
function httpTrackingUri(io: CliIo): string | undefined {
  const uri = io.env.MLFLOW_TRACKING_URI;
  if (uri === undefined || uri === '') return undefined;
  try {
    httpUrl(uri, 'MLFLOW_TRACKING_URI', local(DEFAULT_PORTS.mlflow));
    return uri;
  } catch (err) {
    io.stderr(`mlops status: ${(err as Error).message}: looking for MLflow at the stack's address instead\n`);
    return undefined;
  }
}

function local(port: number): string {
  return `http://127.0.0.1:${port}`;
}
