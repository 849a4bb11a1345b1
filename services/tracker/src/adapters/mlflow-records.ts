import type { MlflowClient } from '@mlops/mlflow';
import type { ModelFilesBuilder, StoredRunCompleted, TuningRecords } from '../domain/ports.js';
import { MlflowRecorder } from './mlflow-recorder.js';
import { recordUnregistered, registerBest } from './mlflow-registrar.js';

/** The tracker's records in MLflow: runs, LoggedModels, the registered version and its alias. */
export function mlflowRecords(
  mlflow: MlflowClient,
  buildModelFiles: ModelFilesBuilder,
  storedRunCompleted: StoredRunCompleted,
): TuningRecords {
  const recorder = new MlflowRecorder(mlflow, buildModelFiles, storedRunCompleted);
  return {
    tuningStarted: (data) => recorder.recordTuningStarted(data),
    runStarted: (data) => recorder.recordRunStarted(data),
    runCompleted: (data, streamSequence) => recorder.recordRunCompleted(data, streamSequence),
    runFailed: (data) => recorder.recordRunFailed(data),
    async tuningCompleted(data) {
      const outcome = await registerBest(mlflow, recorder, data);
      if (outcome.kind === 'unregistered') return outcome;
      const { version, best, metricValue, parentRunId } = outcome;
      const registration = {
        parentRunId,
        name: version.name,
        version: version.version,
        source: version.source,
        trialId: best.trialId,
        runId: best.runId,
        metricValue,
      };
      return { kind: 'registered', registration };
    },
    recordUnregistered: (unregistered, endedAt) => recordUnregistered(mlflow, unregistered, endedAt),
  };
}
