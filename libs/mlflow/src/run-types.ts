import type { LifecycleStage } from './experiments.js';
import { doubleFromWire, int64FromWire, recordFromWire, type WireDouble, type WireKeyValue } from './wire.js';

/** Run states, as names on the wire. */
export const RunStatus = {
  RUNNING: 'RUNNING',
  SCHEDULED: 'SCHEDULED',
  FINISHED: 'FINISHED',
  FAILED: 'FAILED',
  KILLED: 'KILLED',
} as const;
/** One of {@link RunStatus}. */
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

/** A metric value (runs/get returns only the latest per key). */
export interface Metric {
  readonly key: string;
  /** NaN is sent and read back as NaN; ±Infinity are stored by MLflow's SQL store as ±1.7976931348623157e308. */
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

/** Identity and state of a run. */
export interface RunInfo {
  readonly runId: string;
  readonly runName: string;
  readonly experimentId: string;
  readonly userId: string;
  readonly status: RunStatus;
  readonly startTime?: number | undefined;
  readonly endTime?: number | undefined;
  /** e.g. `mlflow-artifacts:/1/<run_id>/artifacts` */
  readonly artifactUri: string;
  readonly lifecycleStage: LifecycleStage;
}

/** A data set as logged by `logInputs`. */
export interface Dataset {
  readonly name: string;
  readonly digest: string;
  readonly sourceType: string;
  readonly source: string;
  readonly schema?: string | undefined;
  readonly profile?: string | undefined;
}

/** A dataset input of a run with its input tags (`mlflow.data.context`). */
export interface DatasetInput {
  readonly dataset: Dataset;
  readonly tags: Readonly<Record<string, string>>;
}

/** An MLflow run with all lists defaulted. */
export interface Run {
  readonly info: RunInfo;
  readonly data: {
    readonly metrics: readonly Metric[];
    readonly params: Readonly<Record<string, string>>;
    readonly tags: Readonly<Record<string, string>>;
  };
  readonly inputs: {
    readonly datasetInputs: readonly DatasetInput[];
    readonly modelInputs: readonly { readonly modelId: string }[];
  };
  readonly outputs: { readonly modelOutputs: readonly { readonly modelId: string; readonly step: number }[] };
}

/** runs/* `info` on the wire. */
export interface WireRunInfo {
  run_id: string;
  run_name?: string;
  experiment_id: string;
  user_id?: string;
  status?: RunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage?: string;
}

/** A metric on the wire. */
export interface WireMetric {
  key: string;
  value: WireDouble;
  timestamp?: number;
  step?: number;
  model_id?: string;
}

interface WireDataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

/** runs/get `run` on the wire. */
export interface WireRun {
  info: WireRunInfo;
  data?: { metrics?: WireMetric[]; params?: WireKeyValue[]; tags?: WireKeyValue[] };
  inputs?: {
    dataset_inputs?: { tags?: WireKeyValue[]; dataset: WireDataset }[];
    model_inputs?: { model_id: string }[];
  };
  outputs?: { model_outputs?: { model_id: string; step?: number }[] };
}

/** Maps a wire run, defaulting every omitted list. */
export function runFromWire(wire: WireRun): Run {
  return {
    info: runInfoFromWire(wire.info),
    data: {
      metrics: (wire.data?.metrics ?? []).map(metricFromWire),
      params: recordFromWire(wire.data?.params),
      tags: recordFromWire(wire.data?.tags),
    },
    inputs: {
      datasetInputs: (wire.inputs?.dataset_inputs ?? []).map((input) => ({
        dataset: datasetFromWire(input.dataset),
        tags: recordFromWire(input.tags),
      })),
      modelInputs: (wire.inputs?.model_inputs ?? []).map((input) => ({ modelId: input.model_id })),
    },
    outputs: {
      modelOutputs: (wire.outputs?.model_outputs ?? []).map((out) => ({ modelId: out.model_id, step: out.step ?? 0 })),
    },
  };
}

/** Maps a wire run info. */
export function runInfoFromWire(wire: WireRunInfo): RunInfo {
  return {
    runId: wire.run_id,
    runName: wire.run_name ?? '',
    experimentId: wire.experiment_id,
    userId: wire.user_id ?? '',
    status: wire.status ?? 'RUNNING',
    startTime: int64FromWire(wire.start_time),
    endTime: int64FromWire(wire.end_time),
    artifactUri: wire.artifact_uri ?? '',
    lifecycleStage: wire.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}

/** Maps a wire metric ("NaN" → NaN). */
export function metricFromWire(wire: WireMetric): Metric {
  return {
    key: wire.key,
    value: doubleFromWire(wire.value),
    timestamp: int64FromWire(wire.timestamp) ?? 0,
    step: int64FromWire(wire.step) ?? 0,
  };
}

function datasetFromWire(wire: WireDataset): Dataset {
  return {
    name: wire.name,
    digest: wire.digest,
    sourceType: wire.source_type,
    source: wire.source,
    schema: wire.schema,
    profile: wire.profile,
  };
}
