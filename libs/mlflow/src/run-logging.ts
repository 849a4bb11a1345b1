import type { Transport } from './http.js';
import { chunkLogBatch, type LogBatchInput } from './log-batch.js';
import type { Run } from './run-types.js';
import type { RunsApi } from './runs.js';

/** A data set used by a run (Python conventions: `source`, `schema` and `profile` are JSON strings; digest ≤ 36 chars). */
export interface DatasetInputSpec {
  readonly name: string;
  readonly digest: string;
  /** e.g. `code`, `local`, `http` */
  readonly sourceType: string;
  /** A JSON string, or an object that is stringified (`{"uri": ...}`, `{"tags": {...}}`). */
  readonly source: string | Readonly<Record<string, unknown>>;
  /** e.g. `{"mlflow_colspec": [{"type": "double", "name": "x1", "required": true}]}` */
  readonly schema?: string | Readonly<Record<string, unknown>>;
  /** e.g. `{"num_rows": 800, "num_elements": 16000}` */
  readonly profile?: string | Readonly<Record<string, unknown>>;
  /** `training`, `validation`, `testing` or `eval`; sent as input tag `mlflow.data.context`. */
  readonly context: string;
  /** Further input tags. */
  readonly tags?: Readonly<Record<string, string>>;
}

/** A LoggedModel produced by a run at a step. */
export interface ModelOutputSpec {
  readonly modelId: string;
  readonly step?: number;
}

/** Logging calls on an existing run. */
export interface RunLoggingApi {
  /** Sends metrics, params and tags in as many requests as the server limits need (see `LOG_BATCH_LIMITS`). */
  logBatch(input: LogBatchInput): Promise<void>;
  /** Idempotent: the server de-duplicates a data set by (name, digest) per run. */
  logInputs(input: { readonly runId: string; readonly datasets: readonly DatasetInputSpec[] }): Promise<void>;
  /** Idempotent here: outputs already on the run are skipped (the server rejects a repeat). */
  logModelOutputs(input: { readonly runId: string; readonly models: readonly ModelOutputSpec[] }): Promise<void>;
}

const MAX_DATASETS_PER_REQUEST = 1000;

/** Builds the run logging calls; `runs` is used to read existing outputs. */
export function runLoggingApi(http: Transport, runs: Pick<RunsApi, 'getRun'>): RunLoggingApi {
  return {
    async logBatch(input) {
      for (const chunk of chunkLogBatch(input)) {
        await http.api('idempotent-write', 'POST', 'runs/log-batch', { run_id: input.runId, ...chunk });
      }
    },
    async logInputs({ runId, datasets }) {
      for (let start = 0; start < datasets.length; start += MAX_DATASETS_PER_REQUEST) {
        const page = datasets.slice(start, start + MAX_DATASETS_PER_REQUEST);
        await http.api('idempotent-write', 'POST', 'runs/log-inputs', {
          run_id: runId,
          datasets: page.map(datasetToWire),
        });
      }
    },
    async logModelOutputs({ runId, models }) {
      const missing = async () => missingOutputs(models, await runs.getRun(runId));
      const todo = await missing();
      if (todo.length === 0) return;
      // The server rejects a repeat, so a re-send after a lost answer looks (run, model, step) up first.
      const lookUp = async () => ((await missing()).length === 0 ? true : null);
      await http.createOnce('runs/outputs', { run_id: runId, models: todo }, lookUp);
    },
  };
}

function missingOutputs(models: readonly ModelOutputSpec[], run: Run): { model_id: string; step: number }[] {
  const existing = new Set(run.outputs.modelOutputs.map((out) => `${out.modelId}@${out.step}`));
  return models
    .map((model) => ({ model_id: model.modelId, step: model.step ?? 0 }))
    .filter((model) => !existing.has(`${model.model_id}@${model.step}`));
}

function datasetToWire(spec: DatasetInputSpec): object {
  return {
    tags: Object.entries({ 'mlflow.data.context': spec.context, ...spec.tags }).map(([key, value]) => ({ key, value })),
    dataset: {
      name: spec.name,
      digest: spec.digest,
      source_type: spec.sourceType,
      source: asJsonString(spec.source),
      schema: spec.schema === undefined ? undefined : asJsonString(spec.schema),
      profile: spec.profile === undefined ? undefined : asJsonString(spec.profile),
    },
  };
}

function asJsonString(value: string | Readonly<Record<string, unknown>>): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
