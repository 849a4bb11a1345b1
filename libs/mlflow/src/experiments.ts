import { isNotFound } from './errors.js';
import type { Transport } from './http.js';
import { findOrCreate } from './keyed-create.js';
import { int64FromWire, recordFromWire, recordToWire, type WireKeyValue } from './wire.js';

/** `active`, or `deleted` (soft-deleted: the name stays taken). */
export type LifecycleStage = 'active' | 'deleted';

/** An MLflow experiment. */
export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  /** e.g. `mlflow-artifacts:/1` */
  readonly artifactLocation: string;
  readonly lifecycleStage: LifecycleStage;
  readonly creationTime?: number | undefined;
  readonly lastUpdateTime?: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
}

/** Input of `createExperiment`. */
export interface CreateExperimentInput {
  readonly name: string;
  readonly artifactLocation?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Experiment calls. */
export interface ExperimentsApi {
  /** The experiment, or null when none has this name; a soft-deleted one counts as missing unless `includeDeleted`. */
  getExperimentByName(name: string, options?: { includeDeleted?: boolean }): Promise<Experiment | null>;
  /** Throws MlflowApiError RESOURCE_DOES_NOT_EXIST for an unknown id. */
  getExperiment(experimentId: string): Promise<Experiment>;
  /** Not idempotent (not re-sent once sent): a taken name, even a deleted one's → RESOURCE_ALREADY_EXISTS. */
  createExperiment(input: CreateExperimentInput): Promise<string>;
  /** Find-or-create by name (race-safe, retried safely); restores a soft-deleted one. `tags` apply only on creation. */
  getOrCreateExperiment(name: string, tags?: Readonly<Record<string, string>>): Promise<Experiment>;
  /** Idempotent (overwrites). */
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
  /** Idempotent. */
  restoreExperiment(experimentId: string): Promise<void>;
  /** Soft delete (the name stays taken; `getOrCreateExperiment` restores it). */
  deleteExperiment(experimentId: string): Promise<void>;
}

type CreateAnswer = { experiment_id: string };

interface WireExperiment {
  experiment_id: string;
  name: string;
  artifact_location?: string;
  lifecycle_stage?: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: WireKeyValue[];
}

/** Builds the experiment calls on a transport. */
export function experimentsApi(http: Transport): ExperimentsApi {
  const getExperimentByName: ExperimentsApi['getExperimentByName'] = async (name, options = {}) => {
    try {
      const answer = await http.api<{ experiment: WireExperiment }>('read', 'GET', 'experiments/get-by-name', {
        experiment_name: name,
      });
      const experiment = experimentFromWire(answer.experiment);
      return experiment.lifecycleStage === 'active' || options.includeDeleted === true ? experiment : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };
  const getExperiment: ExperimentsApi['getExperiment'] = async (experimentId) => {
    const answer = await http.api<{ experiment: WireExperiment }>('read', 'GET', 'experiments/get', {
      experiment_id: experimentId,
    });
    return experimentFromWire(answer.experiment);
  };
  const createExperiment: ExperimentsApi['createExperiment'] = async (input) => {
    const answer = await http.api<CreateAnswer>('non-idempotent', 'POST', 'experiments/create', createBody(input));
    return answer.experiment_id;
  };
  const restoreExperiment: ExperimentsApi['restoreExperiment'] = async (experimentId) => {
    await http.api('idempotent-write', 'POST', 'experiments/restore', { experiment_id: experimentId });
  };
  const activate = async (experiment: Experiment): Promise<Experiment> => {
    if (experiment.lifecycleStage === 'active') return experiment;
    await restoreExperiment(experiment.experimentId);
    return getExperiment(experiment.experimentId);
  };
  const getOrCreateExperiment: ExperimentsApi['getOrCreateExperiment'] = async (name, tags) => {
    const experiment = await findOrCreate(
      http,
      { endpoint: 'experiments/create', payload: createBody({ name, ...(tags === undefined ? {} : { tags }) }) },
      () => getExperimentByName(name, { includeDeleted: true }),
      (answer: CreateAnswer) => getExperiment(answer.experiment_id),
    );
    return activate(experiment);
  };
  return {
    getExperimentByName,
    getExperiment,
    createExperiment,
    getOrCreateExperiment,
    async setExperimentTag(experimentId, key, value) {
      await http.api('idempotent-write', 'POST', 'experiments/set-experiment-tag', {
        experiment_id: experimentId,
        key,
        value,
      });
    },
    restoreExperiment,
    async deleteExperiment(experimentId) {
      await http.api('idempotent-write', 'POST', 'experiments/delete', { experiment_id: experimentId });
    },
  };
}

function createBody(input: CreateExperimentInput): object {
  return { name: input.name, artifact_location: input.artifactLocation, tags: recordToWire(input.tags) };
}

function experimentFromWire(wire: WireExperiment): Experiment {
  return {
    experimentId: wire.experiment_id,
    name: wire.name,
    artifactLocation: wire.artifact_location ?? '',
    lifecycleStage: wire.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creationTime: int64FromWire(wire.creation_time),
    lastUpdateTime: int64FromWire(wire.last_update_time),
    tags: recordFromWire(wire.tags),
  };
}
