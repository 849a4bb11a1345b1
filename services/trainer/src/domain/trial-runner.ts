import type { TrialParams, TrialRequested } from '@mlops/contracts';
import { type CvFolds, cvFoldsOf } from './cross-validation.js';
import { buildTrainingData, type CsvLoader, type TrainingData } from './dataset.js';
import { holdoutOf, type TuningHoldout } from './holdout.js';

export type { TuningHoldout } from './holdout.js';

import { runTrial, type TrialFailure, type TrialSuccess } from './trial.js';
import { TrialInputsCache } from './trial-inputs.js';

/** What running one queued trial gives: its outcome and the digest of the data set it was fitted on. */
export interface QueuedTrialResult {
  readonly outcome: TrialSuccess | TrialFailure;
  readonly datasetDigest: string;
}

interface PreparedTuning {
  readonly data: TrainingData;
  readonly inputs: TrialInputsCache;
  readonly cv: CvFolds | undefined;
}

/**
 * Runs queued trials of any tuning (one replica thread's state): the data set of a tuning is rebuilt from its request
 * the first time one of its trials comes, and the latest `keep` data sets are kept for the next ones (keyed by the
 * tuning and its data set specs, which pin each CSV's digest).
 */
export class TrialRunner {
  private readonly tunings = new Map<string, Promise<PreparedTuning>>();

  constructor(
    private readonly loadCsv: CsvLoader,
    private readonly keep = 2,
  ) {}

  /** Fits and scores one trial; a data set that can no longer be built throws UnusableDataError. */
  async run(trial: TrialRequested['data']): Promise<QueuedTrialResult> {
    const { data, inputs, cv } = await this.prepared(trial);
    // The schema's optional fields read `?: T | undefined`; the event never holds an explicit undefined.
    const params = trial.params as TrialParams;
    return { outcome: runTrial(data, inputs, params, cv), datasetDigest: data.summary.digest };
  }

  /** The gate's holdout of the trial's tuning (what tuning.completed carries, and its whole when that is cut). */
  async holdout(trial: TrialRequested['data']): Promise<TuningHoldout> {
    return holdoutOf((await this.prepared(trial)).data);
  }

  private prepared(trial: TrialRequested['data']): Promise<PreparedTuning> {
    const { dataset, append_training: appended } = trial.request;
    const key = JSON.stringify([trial.tuning_id, dataset, appended ?? null]);
    const known = this.tunings.get(key);
    if (known !== undefined) return known;
    const building = this.build(trial);
    building.catch(() => this.tunings.delete(key));
    this.tunings.set(key, building);
    while (this.tunings.size > this.keep) this.tunings.delete(this.tunings.keys().next().value as string);
    return building;
  }

  private async build(trial: TrialRequested['data']): Promise<PreparedTuning> {
    const data = await buildTrainingData(trial.request, this.loadCsv);
    const cv = trial.request.cv === undefined ? undefined : cvFoldsOf(data, trial.request.cv);
    return { data, inputs: new TrialInputsCache(data), cv };
  }
}
