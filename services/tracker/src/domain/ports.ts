import type { EventData } from '@mlops/contracts';

/** The files of one trial's model, by relative path, built from its weights (see model-files). */
export type ModelFilesBuilder = (input: {
  modelId: string;
  runId: string;
  artifactUri: string;
  event: EventData<'run.completed'>;
  inputExample: number[][];
}) => Record<string, Uint8Array | string>;

/** The model version a completed tuning registered (or an earlier delivery did) and that now holds the alias. */
export interface Registration {
  readonly name: string;
  readonly version: string;
  /** Where the version's files are (the LoggedModel's artifact location). */
  readonly source: string;
  readonly trialId: string;
  readonly runId: string;
  readonly metricValue: number;
}

/**
 * Where tuning events are recorded (MLflow, in adapters/): every method can run again after a crash or a
 * redelivery without duplicating anything.
 */
export interface TuningRecords {
  tuningStarted(data: EventData<'tuning.started'>): Promise<void>;
  runStarted(data: EventData<'run.started'>): Promise<void>;
  runCompleted(data: EventData<'run.completed'>): Promise<void>;
  runFailed(data: EventData<'run.failed'>): Promise<void>;
  /** Picks and registers the best trial and moves the alias; undefined when no trial succeeded. */
  tuningCompleted(data: EventData<'tuning.completed'>): Promise<Registration | undefined>;
}
