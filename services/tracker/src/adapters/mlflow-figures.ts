import type { EventData } from '@mlops/contracts';
import { renderSvg } from '@mlops/figures';
import type { MlflowClient } from '@mlops/mlflow';
import type { ChampionRegistry, Registration, TuningFigures } from '../domain/ports.js';
import { probabilitiesOn } from '../domain/promotion.js';
import { FIGURES_FOLDER, type HoldoutScores, tuningFigures } from '../domain/tuning-figures.js';
import { recordedTrials } from './mlflow-registrar.js';

/** A tuning's figures, rendered to SVG and uploaded into its parent run's `figures/` (overwritten on a redelivery). */
export function mlflowTuningFigures(mlflow: MlflowClient, registry: ChampionRegistry): TuningFigures {
  return {
    async draw(data, registration) {
      const parent = await mlflow.getRun(registration.parentRunId);
      const trials = await recordedTrials(mlflow, parent.info.experimentId, data.tuning_id);
      const figures = tuningFigures({
        trials: trials.filter((t) => t.status === 'completed'),
        bestTrialId: registration.trialId,
        metric: data.selection_metric,
        cv: data.cv,
        holdout: await holdoutScores(registry, data, registration),
      });
      const paths: string[] = [];
      for (const [name, spec] of Object.entries(figures)) {
        const path = `${FIGURES_FOLDER}/${name}`;
        await mlflow.uploadArtifact({ runId: registration.parentRunId, path }, await renderSvg(spec));
        paths.push(path);
      }
      return paths;
    },
  };
}

/** The registered version's P(class 1) on the tuning's holdout; undefined without one or when it cannot score it. */
async function holdoutScores(
  registry: ChampionRegistry,
  data: EventData<'tuning.completed'>,
  registration: Registration,
): Promise<HoldoutScores | undefined> {
  if (data.holdout === undefined) return undefined;
  const model = await registry.loadModel(registration.name, registration.version);
  const labels = Float64Array.from(data.holdout.labels);
  const holdout = { featureNames: data.holdout.feature_names, y: labels };
  const probabilities = probabilitiesOn(model, holdout, data.holdout.rows);
  return probabilities === undefined ? undefined : { labels, probabilities, classLabels: model.classLabels };
}
